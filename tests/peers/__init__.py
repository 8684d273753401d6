"""Real peer servers for tests (PostgreSQL, ...), each started by a pytest fixture on 127.0.0.1."""
