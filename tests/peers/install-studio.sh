#!/bin/sh
# Install Debian's Graphviz (`dot`, for `voorkomen flows graph --format svg`)
# and Chromium (the studio's browser tests drive it with Playwright; no
# browser is ever downloaded by Playwright itself). A no-op when both are there.
set -eu

if command -v dot >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-studio.sh: graphviz or chromium is missing and this is not root;" >&2
    echo "  install them with: sudo apt-get install graphviz chromium" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends graphviz chromium fonts-dejavu-core >/dev/null
echo "install-studio.sh: installed $(dot -V 2>&1) and $(chromium --version 2>/dev/null)"
