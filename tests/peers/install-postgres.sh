#!/bin/sh
# Install Debian's PostgreSQL server for the tests' throwaway peer
# (tests/peers/postgres.py), unless initdb/pg_ctl are already there.
# No default cluster is created and no service is started: the tests run
# their own server in a temp directory.
set -eu

if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    exit 0
fi
for bindir in /usr/lib/postgresql/*/bin; do
    if [ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ]; then
        exit 0
    fi
done

if [ "$(id -u)" -ne 0 ]; then
    echo "install-postgres.sh: PostgreSQL is not installed and this is not root;" >&2
    echo "  install it with: sudo apt-get install postgresql" >&2
    echo "  (without it the PostgreSQL tests are skipped, or fail under CI=true)" >&2
    exit 0
fi

mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/voorkomen-tests.conf
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
echo "install-postgres.sh: installed $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"
