"""Alembic revision scripts, oldest first (``down_revision`` links them)."""
