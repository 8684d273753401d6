import os

pytest_plugins = ["tests.peers.postgres"]

# Every bot the tests start (in-process or as a subprocess, which inherits this)
# checks free text with the patterns alone: the name lists (deduce, ~1 GB and
# seconds to load) are loaded once, by tests/identify, which also tests the
# app's loading of them (load_name_check).
os.environ.setdefault("VOORKOMEN_NAME_CHECK", "off")
