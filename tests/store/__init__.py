"""Tests of the storage adapters (bot.store)."""
