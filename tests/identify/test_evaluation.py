"""Precision and recall of the detector on a test set of Dutch sentences written for it.

`sentences.yaml` holds 100+ short sentences as professionals type them, with
and without identifying data, including capitalised words that are not names
("Veilig Thuis", "Team", weekday and month names). A finding counts as right
when its kind matches and it overlaps the expected words. Targets from issue
#13: recall >= 0.95 on BSN, phone and e-mail; recall >= 0.8 on person names
with precision >= 0.9. The figures are printed at the end of the test run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.identify import Detector, Finding, Kind
from tests.reporting import Report

SENTENCES = yaml.safe_load((Path(__file__).parent / "sentences.yaml").read_text("utf-8"))
NUMBERS = {Kind.BSN, Kind.PHONE, Kind.EMAIL}


def _expected(entry: dict[str, object]) -> list[tuple[Kind, int, int]]:
    text = str(entry["zin"])
    spans = []
    for kind, words in entry.get("vind", []) or []:  # type: ignore[attr-defined]
        start = text.index(str(words))
        spans.append((Kind(kind), start, start + len(str(words))))
    return spans


def _score(detector: Detector) -> tuple[Counter[Kind], Counter[Kind], Counter[Kind], list[str]]:
    right: Counter[Kind] = Counter()
    missed: Counter[Kind] = Counter()
    wrong: Counter[Kind] = Counter()
    notes: list[str] = []
    for entry in SENTENCES:
        text = entry["zin"]
        found: list[Finding] = detector.find(text)
        expected = _expected(entry)
        used: set[int] = set()
        for kind, start, end in expected:
            hit = next(
                (
                    i
                    for i, f in enumerate(found)
                    if i not in used and f.kind is kind and f.start < end and start < f.end
                ),
                None,
            )
            if hit is None:
                missed[kind] += 1
                notes.append(f"missed {kind.value}: {text}")
            else:
                used.add(hit)
                right[kind] += 1
        for i, f in enumerate(found):
            if i not in used:
                wrong[f.kind] += 1
                notes.append(f"wrongly {f.kind.value} «{f.text}»: {text}")
    return right, missed, wrong, notes


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


@pytest.fixture(scope="module")
def scores(detector: Detector) -> tuple[Counter[Kind], Counter[Kind], Counter[Kind], list[str]]:
    return _score(detector)


def test_the_figures_are_reported(
    scores: tuple[Counter[Kind], Counter[Kind], Counter[Kind], list[str]], report: Report
) -> None:
    right, missed, wrong, notes = scores
    lines = [f"{len(SENTENCES)} sentences; per kind: recall, precision (right/missed/wrong)"]
    for kind in Kind:
        r, m, w = right[kind], missed[kind], wrong[kind]
        if r + m + w:
            lines.append(
                f"  {kind.value:14} recall {_ratio(r, r + m):.2f}  precision "
                f"{_ratio(r, r + w):.2f}  ({r}/{m}/{w})"
            )
    lines.extend(f"  {note}" for note in notes)
    report("identifying data: precision and recall", *lines)
    assert sum(right.values()) > 0  # the detector found something at all


def test_the_set_is_large_and_mixed() -> None:
    with_data = [e for e in SENTENCES if e.get("vind")]
    assert len(SENTENCES) >= 100
    assert 30 <= len(with_data) <= len(SENTENCES) - 30


def test_recall_on_bsn_phone_and_email(scores) -> None:
    right, missed, _, _ = scores
    r = sum(right[k] for k in NUMBERS)
    m = sum(missed[k] for k in NUMBERS)
    assert r + m >= 10
    assert _ratio(r, r + m) >= 0.95


def test_precision_on_bsn_phone_and_email(scores) -> None:
    right, _, wrong, _ = scores
    r = sum(right[k] for k in NUMBERS)
    w = sum(wrong[k] for k in NUMBERS)
    assert _ratio(r, r + w) >= 0.95


def test_recall_and_precision_on_person_names(scores) -> None:
    right, missed, wrong, _ = scores
    r, m, w = right[Kind.NAME], missed[Kind.NAME], wrong[Kind.NAME]
    assert r + m >= 25
    assert _ratio(r, r + m) >= 0.8
    assert _ratio(r, r + w) >= 0.9


def test_ordinary_capitalised_words_are_not_names(detector: Detector) -> None:
    for text in (
        "Veilig Thuis adviseerde om eerst met de moeder te praten.",
        "Het Team complexe problematiek komt dinsdag bij elkaar.",
        "Op Maandag belde de Raad voor de Kinderbescherming.",
    ):
        assert detector.find(text) == [], text
