"""Storage adapters for the service's ``ConversationStore`` and ``KeyValueStore`` ports.

``bot.store.sql.SqlStore`` keeps conversations in SQLite or PostgreSQL (schema
in ``bot.store.models``, migrations run by ``bot.store.migrate.upgrade``);
``bot.store.memory.MemoryStore`` is its in-memory twin, free of SQLAlchemy.
Import them from those modules: this package does not import SQLAlchemy itself,
so importing the memory store stays cheap.
"""
