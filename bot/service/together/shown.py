"""What case text may go to a person's chat: one rule for every part that notifies.

A colleague asked to confirm, a team lead asked to escalate and the members
of the Team complexe problematiek all get notices on the channel they last
used. Free text about a case (the vier-ogen part of a vastlegging, the
question for the team, a remark, a reason) goes only to a chat with
end-to-end encryption, or anywhere when the organisation allows it
(``vrije_tekst_zonder_versleuteling``). Matrix counts as encrypted: the Matrix
channel refuses an unencrypted room unless the operator turns
``VOORKOMEN_MATRIX_REQUIRE_ENCRYPTION`` off, and then never sends a notice
into it either; the console is local. Telegram has no end-to-end encryption.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ENCRYPTED_CHANNELS = frozenset({"matrix", "console"})
"""Channels whose chats are end-to-end encrypted (or local)."""


def may_show_text(channel: str | None, settings: Mapping[str, Any]) -> bool:
    """May free text about a case go to a chat on ``channel``?"""
    if channel in ENCRYPTED_CHANNELS:
        return True
    return settings.get("vrije_tekst_zonder_versleuteling") is True
