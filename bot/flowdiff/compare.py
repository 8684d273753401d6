"""Compare two versions of the flows the way a professional would notice it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from bot.flowdiff.walk import Answer, Asked, QuestionKey, Walk, replay, walk_all
from bot.flowspec.graph import AdviseStep, AskStep, FlowBook

_Kind = TypeVar("_Kind", AskStep, AdviseStep)

_SHORT = 70


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHORT else text[: _SHORT - 1].rstrip() + "…"


def example_path(asked: tuple[Asked, ...]) -> str:
    """``«vraag»: antwoord → «vraag»: antwoord`` (the start of a conversation)."""
    if not asked:
        return "(meteen aan het begin)"
    return " → ".join(f"«{_short(a.text)}»: {a.label}" for a in asked)


@dataclass(frozen=True)
class Finding:
    """One change in words, with an example path where it shows."""

    kind: str
    """``flow``, ``vraag``, ``route`` or ``advies``."""
    text: str
    example: str = ""

    def __str__(self) -> str:
        return f"{self.text}\n    Bijvoorbeeld: {self.example}" if self.example else self.text


@dataclass
class Report:
    """Everything that changed for the professional."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, kind: str, text: str, example: str = "") -> None:
        finding = Finding(kind, text, example)
        if all(f.text != text for f in self.findings):
            self.findings.append(finding)

    @property
    def empty(self) -> bool:
        return not self.findings

    def section(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def to_text(self) -> str:
        if self.empty:
            return "Voor de professional verandert er niets: dezelfde vragen, routes en adviezen.\n"
        parts: list[str] = []
        for kind, heading in HEADINGS:
            found = self.section(kind)
            if found:
                parts.append(heading)
                parts += [f"- {f}" for f in found]
                parts.append("")
        return "\n".join(parts)


HEADINGS = (
    ("flow", "Flows"),
    ("vraag", "Vragen"),
    ("route", "Antwoorden die nu ergens anders heen leiden"),
    ("advies", "Adviezen"),
)


def _steps(book: FlowBook, kind: type[_Kind]) -> dict[QuestionKey, _Kind]:
    """Every step of ``kind`` in the book, by (block, step id)."""
    return {
        (block_id, step_id): s
        for block_id, block in book.blocks.items()
        for step_id, s in block.steps.items()
        if isinstance(s, kind)
    }


def _questions(book: FlowBook) -> dict[QuestionKey, AskStep]:
    return _steps(book, AskStep)


def _advices(book: FlowBook) -> dict[QuestionKey, AdviseStep]:
    return _steps(book, AdviseStep)


def _text(step: AskStep | AdviseStep) -> str:
    return step.text.source


def _record(step: AdviseStep) -> str:
    return " ".join(step.record.source.split())


def _first_reaching(walks: list[Walk], key: QuestionKey) -> str:
    for walk in walks:
        for i, item in enumerate(walk.asked):
            if item.key == key:
                return example_path(walk.asked[:i])
    return ""


def _where(book: FlowBook, key: QuestionKey) -> str:
    block = book.blocks.get(key[0])
    flow = book.flows.get(block.flow) if block is not None else None
    return f"«{flow.title}»" if flow is not None else key[0]


def _compare_questions(
    old: FlowBook, new: FlowBook, walks_old: list[Walk], walks_new: list[Walk], report: Report
) -> None:
    qold, qnew = _questions(old), _questions(new)
    for book, walks, questions, other, words in (
        (new, walks_new, qnew, qold, "Nieuwe vraag in"),
        (old, walks_old, qold, qnew, "Vraag verdwenen uit"),
    ):
        for key, step in questions.items():
            if key not in other:
                report.add(
                    "vraag",
                    f"{words} {_where(book, key)}: «{_short(_text(step))}»",
                    _first_reaching(walks, key),
                )
    for key, step in qnew.items():
        before = qold.get(key)
        if before is None:
            continue
        if " ".join(_text(before).split()) != " ".join(_text(step).split()):
            report.add(
                "vraag",
                f"Vraag anders gesteld in {_where(new, key)}: was «{_short(_text(before))}», "
                f"nu «{_short(_text(step))}»",
            )
        was = {c.key: c.label for c in before.choices}
        now = {c.key: c.label for c in step.choices}
        name = _short(_text(step))
        for k in now.keys() - was.keys():
            report.add("vraag", f"Nieuw antwoord bij «{name}»: «{now[k]}»")
        for k in was.keys() - now.keys():
            report.add("vraag", f"Antwoord verdwenen bij «{name}»: «{was[k]}»")
        for k in now.keys() & was.keys():
            if now[k] != was[k]:
                report.add(
                    "vraag", f"Antwoord anders genoemd bij «{name}»: was «{was[k]}», nu «{now[k]}»"
                )


def _compare_routes(
    walk: Walk, other: Walk, qold: set[QuestionKey], qnew: set[QuestionKey], report: Report
) -> None:
    """``walk`` on the old flows, ``other`` the same answers on the new ones."""
    # Questions only one version has are reported as new or gone, not as a route.
    before = [a for a in walk.asked if a.key in qnew]
    after = [b for b in other.asked if b.key in qold]
    for i, (a, b) in enumerate(zip(before, after, strict=False)):
        if a.key == b.key:
            continue
        if i == 0:
            return
        prev = before[i - 1]
        upto = walk.asked[: walk.asked.index(prev) + 1]
        report.add(
            "route",
            f"Na «{_short(prev.text)}» met «{prev.label}» komt nu «{_short(b.text)}» "
            f"(eerst: «{_short(a.text)}»)",
            example_path(upto),
        )
        return


def _compare_advice(
    walk: Walk,
    other: Walk,
    from_book: FlowBook,
    to_book: FlowBook,
    walk_is_old: bool,
    report: Report,
) -> None:
    given = {key: n for key, n in walk.advice}
    there = {key: n for key, n in other.advice}
    adv_from, adv_to = _advices(from_book), _advices(to_book)
    for key, n in given.items():
        if key in there:
            continue
        record = _record(adv_from[key]) if key in adv_from else key[1]
        if walk_is_old:
            if key not in adv_to:
                report.add(
                    "advies", f"Advies vervallen: «{_short(record)}»", example_path(walk.asked[:n])
                )
            else:
                report.add(
                    "advies",
                    f"Advies wordt in minder situaties gegeven: «{_short(record)}»",
                    example_path(walk.asked[:n]),
                )
        elif key not in adv_to:
            report.add("advies", f"Nieuw advies: «{_short(record)}»", example_path(walk.asked[:n]))
        else:
            report.add(
                "advies",
                f"Advies wordt in meer situaties gegeven: «{_short(record)}»",
                example_path(walk.asked[:n]),
            )


def compare(old: FlowBook, new: FlowBook, *, limit: int | None = None) -> Report:
    """What changes for the professional from ``old`` to ``new``."""
    report = Report()
    if old.hash == new.hash:
        return report  # the same sources: nothing to walk
    for fid in sorted(new.flows.keys() - old.flows.keys()):
        report.add("flow", f"Nieuwe flow: «{new.flows[fid].title}»")
    for fid in sorted(old.flows.keys() - new.flows.keys()):
        report.add("flow", f"Flow verdwenen: «{old.flows[fid].title}»")
    for fid in sorted(old.flows.keys() & new.flows.keys()):
        if old.flows[fid].title != new.flows[fid].title:
            report.add(
                "flow", f"Flow heet nu «{new.flows[fid].title}» (was «{old.flows[fid].title}»)"
            )
    all_old: list[Walk] = []
    all_new: list[Walk] = []
    qold, qnew = set(_questions(old)), set(_questions(new))
    kwargs = {} if limit is None else {"limit": limit}
    for fid in sorted(old.flows.keys() & new.flows.keys()):
        walks_old = walk_all(old, fid, **kwargs)
        walks_new = walk_all(new, fid, **kwargs)
        all_old += walks_old
        all_new += walks_new
        for walk in walks_old:
            other = replay(new, walk)
            _compare_routes(walk, other, qold, qnew, report)
            _compare_advice(walk, other, old, new, True, report)
        for walk in walks_new:
            other = replay(old, walk)
            _compare_advice(walk, other, new, old, False, report)
    _compare_questions(old, new, all_old, all_new, report)
    order = {kind: i for i, (kind, _) in enumerate(HEADINGS)}
    report.findings.sort(key=lambda f: order[f.kind])
    return report


__all__ = ["Answer", "Finding", "Report", "compare", "example_path"]
