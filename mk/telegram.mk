# Telegram end-to-end tests need a Bot API emulator: the npm package
# telegram-test-api, pinned by tests/peers/telegram/package-lock.json.
# tests/peers/telegram/install.sh installs Node.js/npm from Debian if missing
# and runs `npm ci` whenever node_modules is missing or older than the lockfile.

TELEGRAM_PEER := tests/peers/telegram
TELEGRAM_PEER_STAMP := $(TELEGRAM_PEER)/node_modules/.installed

TEST_PREREQS += telegram-peer

.PHONY: telegram-peer
telegram-peer: $(TELEGRAM_PEER_STAMP)

$(TELEGRAM_PEER_STAMP): $(TELEGRAM_PEER)/package-lock.json $(TELEGRAM_PEER)/package.json
	sh $(TELEGRAM_PEER)/install.sh
