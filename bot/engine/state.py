"""Conversation state: plain data that round-trips through JSON.

The state is everything the engine needs to continue a conversation after a
restart: where the user is (a stack of frames: the main flow, a called flow,
one item of a ``foreach``), the ordered answer log (the user's real history,
used by ``terug`` and ``wijzig``), and the mode (asking, reviewing the draft,
confirming a restart, idle).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from bot.engine.json_form import JsonForm

JSON = Any  # a JSON-serialisable value


class Mode(StrEnum):
    """What the engine is waiting for."""

    IDLE = "idle"  # no flow running: the start menu
    ASKING = "asking"  # a question is open
    REVIEW = "review"  # the draft summary is shown; "klaar" or "wijzig N"
    CONFIRM_RESTART = "confirm_restart"  # "opnieuw" asked: ja/nee
    PAUSED = "paused"  # "stop" was typed; "verder" resumes


class EntryKind(StrEnum):
    """How a value came into the answer log."""

    ANSWER = "answer"  # the user answered
    KEPT = "kept"  # an earlier answer kept during ``wijzig`` (counts as answered)
    SKIP = "skip"  # the question's ``when`` was false: value is null
    INPUT = "input"  # given by the calling flow (``with:``)
    ADVICE = "advice"  # a recommendation the flow showed, with the answers behind it
    COMPUTED = "computed"  # a ``set`` step's value, derived from earlier answers


@dataclass(frozen=True)
class Frame(JsonForm):
    """One level of the position stack.

    ``block`` is a compiled block id (a flow id, or ``flow#step`` for the body
    of a ``foreach``); ``ns`` is the answer path prefix of this block;
    ``scope`` holds loop variables and inputs; ``items``/``index`` iterate a
    ``foreach``; ``barrier`` marks a called flow, which cannot see its
    caller's answers.
    """

    block: str
    step: str
    ns: tuple[str, ...] = ()
    scope: dict[str, JSON] = field(default_factory=dict)
    items: tuple[str, ...] = ()
    index: int = 0
    barrier: bool = True

    def at(self, step: str) -> Frame:
        return Frame(self.block, step, self.ns, self.scope, self.items, self.index, self.barrier)


@dataclass(frozen=True)
class LogEntry(JsonForm):
    """One value in the ordered answer log.

    ``path`` is where the value lives in the answer tree (for example
    ``("wie", "per_partner", "huisarts", "weet_al")``); ``stack`` is the
    position when the question was asked, so ``terug`` and ``wijzig`` can
    return to it exactly.
    """

    path: tuple[str, ...]
    value: JSON
    kind: EntryKind
    stack: tuple[Frame, ...]
    at: str
    note: str | None = None

    @property
    def answered(self) -> bool:
        """True for entries the user gave (now or earlier), not skips or inputs."""
        return self.kind in (EntryKind.ANSWER, EntryKind.KEPT)


@dataclass(frozen=True)
class Replay(JsonForm):
    """Answers kept while re-walking the flow after ``wijzig``.

    ``pool`` maps an answer path (joined with ``/``) to its earlier value;
    ``changed`` holds the paths whose value changed, so only questions that
    read them are asked again.
    """

    pool: dict[str, JSON]
    changed: tuple[str, ...]


@dataclass(frozen=True)
class State(JsonForm):
    """The whole state of one conversation. Immutable: the engine returns a new one."""

    mode: Mode = Mode.IDLE
    flow: str | None = None
    book: str | None = None
    stack: tuple[Frame, ...] = ()
    log: tuple[LogEntry, ...] = ()
    serial: int = 0
    replay: Replay | None = None
    resume_mode: Mode | None = None
    confirm: str | None = None
    selection: tuple[str, ...] = ()
    previous: dict[str, JSON] = field(default_factory=dict)
    started_at: str | None = None
    ended: bool = False
    """Idle because a conversation just ended: any message gets a one-line hint."""
    section: int = 0
    """At the review: 0 for the list of sections, n for section n opened."""
    reading: str | None = None
    """The article opened with ``kennis`` (``meer`` shows the rest of it)."""
    shown_total: int = 0
    """The "van ongeveer N" shown at the open question (0: none shown)."""
    base_total: int = 0
    """The "van ongeveer N" shown at the question before it: the next may be at most 2 more."""
    redacted: str | None = None
    """A refused free-text answer with its identifying details replaced by neutral
    words ("[naam]"): kept (it identifies nobody) until the user types ``vervang``
    to use it, or answers anew. The answer as typed is never kept."""
    redacted_for: int = -1
    """The question (``serial``) ``redacted`` answers: ``vervang`` works only there."""

    @property
    def question_id(self) -> str:
        """The id of the open question (``Ask.question_id``): a button carries it,
        so a press on an older question's keyboard is known to be stale."""
        return str(self.serial)


_STATE_FIELDS = frozenset(f.name for f in fields(State))


def evolve(state: State, **changes: Any) -> State:
    """``dataclasses.replace(state, **changes)``, without re-running ``__init__``.

    The engine makes several new states per step; ``replace`` reads every one
    of the nineteen fields and calls the generated ``__init__`` each time, which
    was a fifth of an engine step. ``State`` has no ``__post_init__`` and no
    field outside ``__init__``, so copying the fields and setting the changed
    ones gives the same object ``replace`` would.
    """
    unknown = changes.keys() - _STATE_FIELDS
    if unknown:
        msg = f"State has no field {sorted(unknown)[0]!r}"
        raise TypeError(msg)
    new = object.__new__(State)
    values = new.__dict__
    values.update(state.__dict__)
    values.update(changes)
    return new
