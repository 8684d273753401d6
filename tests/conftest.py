pytest_plugins = ["tests.peers.postgres"]
