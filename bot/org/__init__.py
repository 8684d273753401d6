"""Organisations, people and roles: the pure domain of who may use the bot.

Values only (no I/O): the store (``bot.store.people``) keeps them, the access
gate (``bot.service.access``) decides with them, the command line shows them.
"""
