"""The walker: one engine step's view of a conversation in the compiled flow graph.

:class:`Walker` is assembled from one module per idea, each building on the
one before: :mod:`~bot.engine.scope` (what a step can see; the answer log),
:mod:`~bot.engine.presenting` (questions, menu, progress),
:mod:`~bot.engine.review` (the review by part), :mod:`~bot.engine.finishing`
(summary, document, record) and :mod:`~bot.engine.navigation` (advancing
through the graph, starting a flow). The engine's step
(:mod:`~bot.engine.runner`), the universal words (:mod:`~bot.engine.commands`)
and answering (:mod:`~bot.engine.answering`) drive it. Pure: no I/O.
"""

from __future__ import annotations

from bot.engine.navigation import WELCOME_STEP, Navigator
from bot.engine.presenting import CONFIRM_STEP, MENU_STEP, PAUSED_STEP
from bot.engine.review import BACK_KEY, DONE_KEY, REVIEW_STEP, SECTION_SIZE, SECTION_STEP, Section
from bot.engine.scope import join_path

__all__ = [
    "BACK_KEY",
    "CONFIRM_STEP",
    "DONE_KEY",
    "MENU_STEP",
    "PAUSED_STEP",
    "REVIEW_STEP",
    "SECTION_SIZE",
    "SECTION_STEP",
    "WELCOME_STEP",
    "Section",
    "Walker",
    "join_path",
]


class Walker(Navigator):
    """One step's working area: the book, the context, and the replies and effects so far."""
