import os

# The peers' session fixtures live here once: a second import in a test folder
# would start a second server.
pytest_plugins = [
    "tests.peers.postgres",
    "tests.peers.telegram.fixture",
    "tests.reporting",
]

# Every bot the tests start (in-process or as a subprocess, which inherits this)
# checks free text with the patterns alone: the name lists (deduce, ~1 GB and
# seconds to load) are loaded once, by tests/identify, which also tests the
# app's loading of them (load_name_check).
os.environ.setdefault("VOORKOMEN_NAME_CHECK", "off")

# Every bot the tests start seals its data with this session's master key (a bot
# without one refuses to start: tests/privacy tests that).
if not os.environ.get("VOORKOMEN_MASTER_KEY"):
    from bot.crypto import MasterKey

    os.environ["VOORKOMEN_MASTER_KEY"] = MasterKey.generate().encoded()
