# The flow studio: Graphviz draws flow diagrams (SVG/PNG) and the browser tests
# of `voorkomen studio` drive Debian's Chromium with Playwright. Install both
# before the tests if they are missing (a no-op otherwise).

TEST_PREREQS += studio-peer

.PHONY: studio-peer
studio-peer:
	sh tests/peers/install-studio.sh
