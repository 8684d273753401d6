"""``python -m bench``: run every benchmark and write ``bench/RESULTS.md``.

``--smoke`` runs tiny rounds of everything (what ``make test`` checks) and
writes nowhere unless ``--output`` is given. ``--load-only`` runs only the
load test (issue 14) and replaces its section of RESULTS.md, keeping the rest.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

import click

from bench.load import LoadConfig, LoadResults, run_load
from bench.load_report import render_load, splice
from bench.report import render
from bench.run import Config, run

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


@click.command(name="python -m bench", help=__doc__)
@click.option("--smoke", is_flag=True, help="tiny rounds, to check the harness")
@click.option("--rounds", type=int, help="interleaved rounds")
@click.option("--no-postgres", is_flag=True, help="skip (e), PostgreSQL")
@click.option("--postgres-url", help="an empty PostgreSQL database for (e)")
@click.option("--load-only", is_flag=True, help="only the load test; keep the rest of the file")
@click.option("--no-load", is_flag=True, help="skip the load test")
@click.option("--professionals", type=int, help="professionals at once in the load test")
@click.option("--no-matrix", is_flag=True, help="skip the Matrix round trips (Synapse)")
@click.option(
    "--output", type=click.Path(path_type=Path), help=f"where to write (default {RESULTS})"
)
def command(
    smoke: bool,
    rounds: int | None,
    no_postgres: bool,
    postgres_url: str | None,
    load_only: bool,
    no_load: bool,
    professionals: int | None,
    no_matrix: bool,
    output: Path | None,
) -> None:
    load_config = LoadConfig.smoke() if smoke else LoadConfig()
    if professionals:
        load_config = replace(load_config, professionals=professionals)
    output = output or (None if smoke else RESULTS)
    if load_only:
        section = render_load(asyncio.run(run_load(load_config, log=_log)))
        if output is not None:
            old = output.read_text(encoding="utf-8") if output.exists() else "# Benchmark results\n"
            output.write_text(splice(old, section), encoding="utf-8")
            _log(f"wrote the load section of {output}")
        print(section)
        return
    config = Config.smoke() if smoke else Config()
    if rounds:
        config = replace(config, rounds=rounds)
    if no_postgres:
        config = replace(config, postgres=False)
    if no_matrix:
        config = replace(config, matrix=False)
    results = asyncio.run(run(config, postgres_url=postgres_url, log=_log))
    text = render(results)
    if no_postgres and not no_load:  # the load test runs on PostgreSQL only
        skipped = LoadResults(load_config, skipped="PostgreSQL not requested (--no-postgres)")
        text = splice(text, render_load(skipped))
    elif not no_load:
        text = splice(text, render_load(asyncio.run(run_load(load_config, log=_log))))
    if output is not None:
        output.write_text(text, encoding="utf-8")
        _log(f"wrote {output}")
    print(text)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (else the process's); 0 when done."""
    command.main(args=argv, standalone_mode=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
