#!/bin/sh
# Install the Telegram test peer: Node.js and npm from Debian when they are
# missing (as root), then the pinned Bot API emulator (telegram-test-api,
# tests/peers/telegram/package-lock.json) with `npm ci`. Called by
# mk/telegram.mk whenever node_modules is missing or older than the lockfile.
# Without Node.js the Telegram end-to-end tests skip, or fail under CI=true.
set -eu
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "telegram peer: Node.js/npm are not installed and this is not root;" >&2
        echo "  install them with: sudo apt-get install nodejs npm" >&2
        echo "  (without them the Telegram end-to-end tests are skipped, or fail under CI=true)" >&2
        [ "${CI:-}" = "true" ] && exit 1
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    echo "telegram peer: installed Node.js $(node --version)"
fi

npm ci --no-audit --no-fund --loglevel=error
touch node_modules/.installed
