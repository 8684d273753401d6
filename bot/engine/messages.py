"""Channel-neutral messages in and out of the engine.

Every channel (console, Telegram, Matrix) turns what its SDK delivers into an
``Incoming`` value and renders the ``Reply`` values it gets back in its own
way. Malformed or unsupported input is a value (``Unsupported``), never an
exception, so a sticker or a photo gets help instead of a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.state import State
from bot.questions import Choice, QuestionKind

__all__ = [
    "Ask",
    "ChannelTraits",
    "Choice",
    "ChoiceIn",
    "Document",
    "DocumentRequest",
    "DoneIn",
    "Effect",
    "EngineReply",
    "Incoming",
    "Progress",
    "QuestionKind",
    "RecordFinished",
    "Reply",
    "Say",
    "Stale",
    "StepResult",
    "TextIn",
    "Unsupported",
]


# ---------------------------------------------------------------- incoming


@dataclass(frozen=True)
class TextIn:
    """Typed text: an answer, a number, a label or a universal word (``terug``)."""

    text: str


@dataclass(frozen=True)
class ChoiceIn:
    """A button press on a channel with buttons.

    For a single-choice or yes/no question it answers; for a multiple-choice
    question it toggles the option (the engine keeps the selection in the
    state and replies with the same question, ``selected`` updated).

    ``question_id`` identifies the question instance the button belonged to,
    so a press on a stale keyboard is recognised instead of being applied to
    whatever question is open now.
    """

    question_id: str
    key: str


@dataclass(frozen=True)
class DoneIn:
    """Finish a multiple-choice question whose options were toggled with ``ChoiceIn``."""

    question_id: str


@dataclass(frozen=True)
class Unsupported:
    """Anything the channel cannot turn into text: a photo, sticker, voice note."""

    what: str


Incoming = TextIn | ChoiceIn | DoneIn | Unsupported


# ---------------------------------------------------------------- outgoing


@dataclass(frozen=True)
class Progress:
    """Where the user is: question ``current`` of about ``total``.

    Where a count cannot be honest (a flow made of parts, whose length
    depends on the answers) the part is named instead: ``title`` is the
    part's title and, inside one of ``parts`` numbered parts, ``part`` its number.
    """

    current: int
    total: int
    part: int = 0
    parts: int = 0
    title: str = ""

    @property
    def counted(self) -> bool:
        """True when this shows a count ("vraag 3 van ongeveer 12")."""
        return not self.title

    def __str__(self) -> str:
        if self.part:
            return f"deel {self.part} van {self.parts}: {self.title}"
        if self.title:
            return self.title
        return f"vraag {self.current} van ongeveer {self.total}"


@dataclass(frozen=True)
class Say:
    """A plain message. Text is plain (no markup); channels escape it."""

    text: str
    article: str | None = None
    """The knowledge article this text is (a page of), if any; a channel may thread it."""
    actions: tuple[Choice, ...] = ()
    """Quick replies: choosing one sends its ``key`` as typed text (e.g. ``meer``).
    Channels with buttons show them as buttons; others list the words."""


@dataclass(frozen=True)
class Ask:
    """A question. ``hint`` says how to answer; ``error`` explains a rejected answer;
    ``note`` is a neutral remark above it (e.g. what was selected so far)."""

    question_id: str
    step: str
    kind: QuestionKind
    text: str
    choices: tuple[Choice, ...] = ()
    hint: str = ""
    error: str = ""
    note: str = ""
    progress: Progress | None = None
    help_article: str | None = None
    max_length: int | None = None
    selected: tuple[str, ...] = ()
    previous: str | None = None


@dataclass(frozen=True)
class DocumentRequest:
    """Ask the service to render a summary template (the engine does no rendering)."""

    template: str
    data: dict[str, object]
    final: bool
    title: str


@dataclass(frozen=True)
class Document:
    """A rendered summary: ``text`` pastes into a client file, ``markdown`` for chat."""

    title: str
    text: str
    markdown: str
    filename: str
    final: bool


@dataclass(frozen=True)
class Stale:
    """A button from an earlier question was pressed; channels show a short toast."""

    text: str = "Deze knop hoort bij een eerdere vraag."


EngineReply = Say | Ask | DocumentRequest | Stale
Reply = Say | Ask | Document | Stale


# ---------------------------------------------------------------- effects


@dataclass(frozen=True)
class RecordFinished:
    """A flow was finished and confirmed: keep a record (never client names)."""

    flow_id: str
    flow_version: str
    flow_hash: str
    case_code: str | None
    answers: dict[str, object]
    document: DocumentRequest


@dataclass(frozen=True)
class ChannelTraits:
    """What the channel can do; the engine adapts wording and safety to it."""

    name: str
    buttons: bool = False
    end_to_end_encrypted: bool = False
    confirm_multi: bool = False


Effect = RecordFinished


@dataclass(frozen=True)
class StepResult:
    """What one engine step produced."""

    state: State
    replies: list[EngineReply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    trace: list[tuple[str, str, str]] = field(default_factory=list)
    """Edges walked in this step as (block, from step, to step); for coverage tests."""
