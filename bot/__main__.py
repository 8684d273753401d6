"""``python -m bot`` runs the ``voorkomen`` command."""

from bot.cli import main

main()
