# Benchmarks (bench/, issue #6): `make bench` runs every measurement and writes
# bench/RESULTS.md. aiogram-dialog, the framework compared against, is a
# bench-only dependency (the `bench` extra). It is small, so `make test` also
# installs it: the smoke run of the harness (tests/bench) then measures every row.

BENCH_STAMP := $(VENV)/.installed-bench

TEST_PREREQS += $(BENCH_STAMP)

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[bench]'
	touch $@

.PHONY: bench
bench: $(STAMP) $(BENCH_STAMP) postgres-peer telegram-peer
	$(BIN)/python -m bench

# Only the load test of issue 14 (bench/load.py): 200 professionals against 1 and
# 2 webhook workers on PostgreSQL; rewrites its own section of bench/RESULTS.md.
.PHONY: bench-load
bench-load: $(STAMP) $(BENCH_STAMP) postgres-peer telegram-peer
	$(BIN)/python -m bench --load-only
