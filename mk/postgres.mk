# The PostgreSQL test peer (tests/peers/postgres.py) needs Debian's postgresql
# package; install it before the tests if it is missing (a no-op otherwise).

TEST_PREREQS += postgres-peer

.PHONY: postgres-peer
postgres-peer:
	sh tests/peers/install-postgres.sh
