"""The safety guards of issue 17, checked on every path the tests can walk.

- No question or advice ever asks consent for Veilig Thuis or the Raad voor de
  Kinderbescherming (a report needs no consent; tell the client beforehand if
  that is safe).
- After "acute or structural unsafety: ja" (or help that fails or is refused),
  the vastlegging always advises reporting to Veilig Thuis, and no partner
  decision ends in "not sharing".
- From 12 to 15, the young person's consent alone is accepted without a warning.
- Every suicide of a client leads to the IGJ route in the vastlegging.

The guards are checked on every example, on *every* path through the small
safety flows (``meldcode``, ``calamiteit``: walked exhaustively), and on random
walks through every flow (the walker of ``test_walks``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.messages import Ask, QuestionKind, Say
from bot.engine.state import Mode
from tests.content.support import (
    CONSOLE,
    EXAMPLES,
    Play,
    examples,
    flatten,
    load_example,
    play,
    render,
    shipped_book,
    shipped_sources,
)
from tests.content.test_rules import DO_NOT_REPORT
from tests.content.test_walks import _walk

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
NO_CONSENT = ("veilig_thuis", "raad")
IGJ_SUICIDE = (
    "Zelfdoding van een cliënt: de organisatie meldt dit altijd bij de Inspectie (IGJ),"
    " binnen 3 werkdagen."
)
REPORT = "Melden bij Veilig Thuis"
CLAUSE = re.compile(r"[.?!;\n—]")
ASKS_CONSENT = re.compile(
    r"\b(vraag|vragen|vraagt)\b.*\btoestemming\b|\btoestemming\b.*\b(vragen|gevraagd)\b", re.I
)
NAMES_VT = re.compile(r"Veilig Thuis|\bRaad\b|veilig_thuis|\braad\b")
NEGATED = re.compile(r"\b(geen|zonder|niet|nooit|niemand)\b", re.IGNORECASE)


def consent_asked_for_vt(text: str) -> list[str]:
    """Clauses that ask consent and name Veilig Thuis or the Raad, without a negation."""
    return [
        " ".join(c.split())
        for c in CLAUSE.split(text)
        if ASKS_CONSENT.search(c) and NAMES_VT.search(c) and not NEGATED.search(c)
    ]


def check_guards(p: Play) -> None:
    """Assert every guard on one finished conversation."""
    assert p.finished is not None
    data = p.data()
    answers = flatten(data["answers"])  # type: ignore[arg-type]
    given = data["advice"]
    assert isinstance(given, list)
    advice = [str(a["text"]) for a in given]
    doc = render(p.book, p.finished.document).text
    asked = [r.text for res in p.results for r in res.replies if isinstance(r, Ask)]
    shown = [r.text for res in p.results for r in res.replies if isinstance(r, Say)]

    # 1. Never a consent question for Veilig Thuis or the Raad.
    for path in answers:
        parts = path.split(".")
        for i, part in enumerate(parts[:-1]):
            if part in ("per_partner", "besluit"):
                assert parts[i + 1] not in NO_CONSENT, f"consent asked for {parts[i + 1]}: {path}"
    for text in [*asked, *shown, *advice, doc]:
        assert not consent_asked_for_vt(text), text

    # 2. Unsafety (or help that fails): reporting is the norm, never "not sharing".
    unsafe = any(
        (path.endswith("onveilig") and value == "ja")
        or (path.endswith("hulp") and value in ("lukt_niet", "weigert"))
        for path, value in answers.items()
    )
    if unsafe:
        assert any(a.startswith(REPORT) for a in advice), advice
        assert not [p_ for p_, v in answers.items() if p_.endswith(".keuze") and v == "niet"]
        assert not [p_ for p_, v in answers.items() if "per_partner" in p_ and v not in (None, {})]
    assert DO_NOT_REPORT.search(doc) is None

    # 3. 12-15: the young person's consent alone is accepted, without a warning.
    partners = p.book.org.lijsten["partners"]
    alone = [
        path.split(".")[-2]
        for path, v in answers.items()
        if path.endswith("antwoord_jong") and v == "jongere"
    ]
    for key in alone:
        name = partners.get(key, key)
        assert not [a for a in advice if "Ook de jongere" in a and f"met {name} te delen" in a]
        assert f"{name}: toestemming gekregen van de jongere" in doc or key == "anders"

    # 4. Every suicide: the IGJ route.
    if any(p_.endswith("zelfdoding") and v in ("ja", "misschien") for p_, v in answers.items()):
        assert IGJ_SUICIDE in doc
        assert "Inspectie (IGJ)" in " ".join(shown)


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_every_example_keeps_the_guards(example: object) -> None:
    from tests.content.support import Example

    assert isinstance(example, Example)
    check_guards(play(example))


def test_the_guards_are_exercised_by_the_examples() -> None:
    """Each guard's condition is met by at least one example (so it is checked)."""
    flat = [flatten(play(e).data()["answers"]) for e in examples()]  # type: ignore[arg-type]
    values = [(k.rsplit(".", 1)[-1], v) for f in flat for k, v in f.items()]
    assert ("onveilig", "ja") in values
    assert ("hulp", "weigert") in values
    assert ("antwoord_jong", "jongere") in values
    assert ("zelfdoding", "misschien") in values or ("zelfdoding", "ja") in values


def test_the_guards_fail_on_a_broken_flow() -> None:
    """A vastlegging without the report advice after unsafety is caught."""
    p = play(load_example(EXAMPLES / "dilemma-baby-vermoeden.yaml"))
    assert p.finished is not None
    data = p.finished.document.data
    advice = data["advice"]
    assert isinstance(advice, list)
    data["advice"] = [a for a in advice if not str(a["text"]).startswith(REPORT)]
    with pytest.raises(AssertionError):
        check_guards(p)


def test_no_flow_text_asks_consent_for_veilig_thuis_or_the_raad() -> None:
    book = shipped_book()
    texts = 0
    for block_id, block in book.blocks.items():
        for step in block.steps.values():
            for part in (getattr(step, "text", None), getattr(step, "record", None)):
                if part is not None:
                    texts += 1
                    assert not consent_asked_for_vt(part.source), (block_id, step.id)
    assert texts > 100
    template = shipped_sources()["templates/_vastlegging.j2"]
    assert not consent_asked_for_vt(template)
    # The check itself catches the old wording.
    assert consent_asked_for_vt("Veilig Thuis: vraag de cliënt dan om toestemming om te delen.")
    assert consent_asked_for_vt("Ik: de cliënt om toestemming vragen om te delen met Veilig Thuis")
    assert not consent_asked_for_vt("Veilig Thuis: je vraagt geen toestemming.")


# ---------------------------------------------------------------- every path


def _options(p: Play, ask: Ask) -> list[str]:
    frame = p.state.stack[-1]
    optional = p.book.blocks[frame.block].steps[frame.step].optional
    if ask.kind is QuestionKind.YESNO:
        return ["ja", "nee"]
    if ask.kind is QuestionKind.SINGLE:
        return [str(n) for n in range(1, len(ask.choices) + 1)]
    if ask.kind is QuestionKind.MULTI:
        n = len(ask.choices)
        return [*(str(i) for i in range(1, n + 1)), " ".join(str(i) for i in range(1, n + 1))] + (
            ["geen"] if optional else []
        )
    if ask.kind is QuestionKind.DATE:
        return ["vandaag"]
    if p.state.stack[-1].step == "casuscode":
        return ["K-1"]
    return ["Zorgen over de thuissituatie"[: ask.max_length or 400]]


def _every_path(flow: str) -> Iterator[Play]:
    """Depth first: every option of every question (multi: each option, all, none)."""
    book = shipped_book()

    def walk(lines: list[str]) -> Iterator[Play]:
        p = Play(book, flow, NOW, CONSOLE)
        p.start()
        for line in lines:
            p.send(line)
        if p.state.mode is Mode.REVIEW:
            p.send("klaar")
            yield p
            return
        assert p.state.mode is Mode.ASKING
        assert len(lines) < 60, f"{flow}: no end after {lines}"
        if lines:
            assert p.turns[-1].before.serial != p.state.serial, f"refused: {lines[-1]!r}"
        for option in _options(p, p.last_ask):
            yield from walk([*lines, option])

    yield from walk([])


@pytest.mark.parametrize("flow", ["meldcode", "calamiteit"])
def test_every_path_of_the_safety_flows_keeps_the_guards(flow: str) -> None:
    count = 0
    for p in _every_path(flow):
        check_guards(p)
        count += 1
    assert count >= 8, count


@pytest.mark.parametrize("flow", ["dilemma", "toestemming", "opschalen", "wie-weten", "vier-ogen"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_walks_keep_the_guards(flow: str, data: st.DataObject) -> None:
    p = _walk(data, shipped_book(), flow, CONSOLE)
    check_guards(p)
