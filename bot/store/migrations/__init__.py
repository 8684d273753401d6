"""Alembic migrations of the Voorkomen database (run them with ``bot.store.migrate``)."""
