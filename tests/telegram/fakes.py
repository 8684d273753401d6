"""A small fake conversation service for the adapter's unit tests.

It keeps the contract the real service keeps (``handle`` returns replies in
order; the question id is a per-chat serial; a press on an older question is
``Stale``; a multiple-choice press toggles and re-asks the same question), so
the adapter can be tested before, and independently of, the real engine.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from bot.engine.messages import (
    Ask,
    ChannelTraits,
    Choice,
    ChoiceIn,
    Document,
    DoneIn,
    Incoming,
    Progress,
    QuestionKind,
    Reply,
    Say,
    Stale,
    TextIn,
    Unsupported,
)
from bot.service.ports import ConversationKey, Sender

SOORT = Ask(
    question_id="",
    step="soort",
    kind=QuestionKind.SINGLE,
    text="Wat voor dilemma is het?",
    choices=(Choice("ingrijpen", "Ingrijpen of niet"), Choice("delen", "Informatie delen")),
    hint="Typ het nummer of het antwoord.",
    progress=Progress(1, 3),
    help_article="uitleg-soort",
)
PARTNERS = Ask(
    question_id="",
    step="partners",
    kind=QuestionKind.MULTI,
    text="Wie moet dit weten?",
    choices=(
        Choice("huisarts", "Huisarts"),
        Choice("school", "School"),
        Choice("vt", "Veilig Thuis"),
    ),
    hint="Tik alles aan wat past en kies dan Klaar.",
    progress=Progress(2, 3),
)
TOELICHTING = Ask(
    question_id="",
    step="toelichting",
    kind=QuestionKind.TEXT,
    text="Vertel kort wat er speelt.",
    hint="Kort is goed.",
    progress=Progress(3, 3),
    max_length=500,
)
QUESTIONS = (SOORT, PARTNERS, TOELICHTING)


@dataclass
class _Conversation:
    serial: int = 0
    index: int = -1
    selection: tuple[str, ...] = ()
    answers: dict[str, object] = field(default_factory=dict)


class FakeService:
    """Three questions, then a final document. ``boom`` raises, like a bug would."""

    def __init__(self, *, delay: float = 0.0, final: bool = True) -> None:
        self.calls: list[tuple[ConversationKey, Incoming, ChannelTraits]] = []
        self._chats: dict[ConversationKey, _Conversation] = {}
        self._delay = delay
        self._final = final
        self.extra: list[Reply] = []  # replies appended to the next turn (then cleared)

    def _ask(self, c: _Conversation, error: str = "") -> Ask:
        q = QUESTIONS[c.index]
        return replace(q, question_id=str(c.serial), selected=c.selection, error=error)

    def _advance(self, c: _Conversation) -> list[Reply]:
        c.serial += 1
        c.index += 1
        c.selection = ()
        if c.index < len(QUESTIONS):
            return [self._ask(c)]
        text = "Vastlegging\nSoort: {soort}\nToelichting: {toelichting}".format_map(c.answers)
        c.index = -1
        return [
            Document(
                title="Vastlegging",
                text=text,
                markdown=text,
                filename="vastlegging-2026-11-23.txt",
                final=self._final,
            ),
            Say("Klaar. Typ /nieuw voor een nieuw dilemma."),
        ]

    async def handle(
        self,
        key: ConversationKey,
        incoming: Incoming,
        traits: ChannelTraits,
        sender: Sender | None = None,
    ) -> list[Reply]:
        self.calls.append((key, incoming, traits))
        if self._delay:
            await asyncio.sleep(self._delay)
        replies = self._handle(self._chats.setdefault(key, _Conversation()), incoming)
        replies += self.extra
        self.extra = []
        return replies

    def _handle(self, c: _Conversation, incoming: Incoming) -> list[Reply]:
        if isinstance(incoming, Unsupported):
            return [Say("Ik kan alleen tekst lezen. Typ je antwoord, of typ hulp.")]
        if isinstance(incoming, TextIn):
            word = incoming.text.strip().lower()
            if word == "boom":
                msg = "a bug in the service"
                raise RuntimeError(msg)
            if word in ("start", "nieuw"):
                c.index = -1
                return [Say("Welkom bij de test."), *self._advance(c)]
            if c.index < 0:
                return [Say("Typ /start om te beginnen.")]
            if word == "terug" and c.index > 0:
                c.index -= 1
                c.serial += 1
                c.selection = ()
                return [self._ask(c)]
            if word == "meer":
                return [Say("Het vervolg van het artikel.")]
            q = QUESTIONS[c.index]
            if q.kind is QuestionKind.TEXT:
                c.answers[q.step] = incoming.text
                return self._advance(c)
            for number, choice in enumerate(q.choices, start=1):
                if word in (str(number), choice.key, choice.label.lower()):
                    c.answers[q.step] = choice.key
                    return self._advance(c)
            return [self._ask(c, "Dat antwoord ken ik niet.")]
        if c.index < 0 or incoming.question_id != str(c.serial):
            return [Stale()]
        q = QUESTIONS[c.index]
        if isinstance(incoming, DoneIn):
            if not c.selection:
                return [self._ask(c, "Kies minstens één antwoord.")]
            c.answers[q.step] = list(c.selection)
            return self._advance(c)
        if not isinstance(incoming, ChoiceIn) or incoming.key not in {x.key for x in q.choices}:
            return [Stale()]
        if q.kind is QuestionKind.MULTI:
            chosen = set(c.selection) ^ {incoming.key}
            c.selection = tuple(x.key for x in q.choices if x.key in chosen)
            return [self._ask(c)]
        c.answers[q.step] = incoming.key
        return self._advance(c)
