# The Synapse test peer (tests/peers/synapse.py) runs from its own virtualenv,
# .venv-synapse, so Synapse's dependency pins stay apart from the app's.
# The stamp names the version: changing SYNAPSE_VERSION reinstalls it.

SYNAPSE_VERSION := 1.163.2
SYNAPSE_VENV := .venv-synapse
SYNAPSE_STAMP := $(SYNAPSE_VENV)/.installed-$(SYNAPSE_VERSION)

TEST_PREREQS += $(SYNAPSE_STAMP)

$(SYNAPSE_STAMP):
	rm -rf $(SYNAPSE_VENV)
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install -q --upgrade pip
	$(SYNAPSE_VENV)/bin/pip install -q 'matrix-synapse==$(SYNAPSE_VERSION)'
	touch $@

.PHONY: synapse-peer
synapse-peer: $(SYNAPSE_STAMP)
