"""``voorkomen flows test``: scripted conversations pass, and a failure names its step."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.flowspec.loader import load_book
from bot.flowtest.check import run_script
from bot.flowtest.script import ScriptError, load_script, parse_script
from bot.knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "flowtest" / "flows"

GOOD = """\
title: Veiligheid
flow: melden
now: "2026-11-23T10:15:00+01:00"
steps:
  - ask: Wat is je casuscode?
    answer: M-1
  - ask: Waar gaat je zorg over?
    answer: "1"
  - ask: {third_question}
    answer: "3"
    then: Volg de meldcode
  - answer: "2"
  - answer: klaar
expect:
  case_code: M-1
  answers:
    code: M-1
    soort: {soort}
    leeftijd: "16+"
    overleg.code: M-1
    overleg.met_wie: [aandacht]
  advice:
    - Meldcode volgen en de jongere om toestemming vragen.
"""


def _script(**changes: str) -> str:
    values = {"third_question": "Hoe oud is het kind?", "soort": "veiligheid"} | changes
    return GOOD.format(**values)


def test_a_correct_script_passes() -> None:
    book = load_book(FIXTURE)
    outcome = run_script(book, parse_script("s.yaml", _script()))
    assert outcome.ok, outcome.failures
    assert outcome.play.finished is not None


def test_a_wrong_question_names_the_step_and_what_was_expected() -> None:
    book = load_book(FIXTURE)
    outcome = run_script(book, parse_script("s.yaml", _script(third_question="Hoe lang?")))
    assert outcome.failures == [
        "stap 3 (je typt '3'): de vraag was 'Hoe oud is het kind?'; verwacht: 'Hoe lang?'"
    ]


def test_a_wrong_answer_field_is_named_with_both_values() -> None:
    book = load_book(FIXTURE)
    outcome = run_script(book, parse_script("s.yaml", _script(soort="school")))
    assert outcome.failures == ["einde: antwoord soort: kreeg 'veiligheid', verwacht 'school'"]


def test_a_missing_reply_text_and_an_unfinished_conversation_are_failures() -> None:
    book = load_book(FIXTURE)
    text = _script().replace("then: Volg de meldcode", "then: Bel de politie")
    text = text.replace("  - answer: klaar\n", "")
    failures = run_script(book, parse_script("s.yaml", text)).failures
    assert failures[0].startswith("stap 3 (je typt '3'): de bot zei niet 'Bel de politie'; wel: ")
    assert failures[1].startswith("einde: het gesprek kwam niet tot de vastlegging.")
    assert len(failures) == 2


def test_typing_after_the_end_is_a_failure() -> None:
    book = load_book(FIXTURE)
    text = _script().replace("  - answer: klaar\n", "  - answer: klaar\n  - answer: meer\n")
    failures = run_script(book, parse_script("s.yaml", text)).failures
    assert failures == [
        "stap 6 (je typt 'meer'): het gesprek was al klaar; verwacht werd nog een vraag"
    ]


def test_a_broken_script_is_a_friendly_error() -> None:
    with pytest.raises(ScriptError, match="het veld 'now' ontbreekt"):
        parse_script("s.yaml", "flow: melden\nlines: [a]\n")
    with pytest.raises(ScriptError, match="stap 1: onbekend veld 'antwoord'"):
        parse_script(
            "s.yaml", "flow: m\nnow: '2026-01-01'\nsteps:\n  - answer: x\n    antwoord: y\n"
        )


def test_every_shipped_example_runs_unchanged_with_the_runner() -> None:
    """The runner reads today's flows/examples format as it is."""
    knowledge = load_knowledge(ROOT / "knowledge")
    book = load_book(ROOT / "flows", articles=knowledge.ids())
    scripts = sorted((ROOT / "flows" / "examples").glob("*.yaml"))
    assert scripts
    for path in scripts:
        outcome = run_script(book, load_script(path), knowledge)
        assert outcome.ok, (path.name, outcome.failures)


def test_the_command_passes_on_the_fixture_and_fails_on_a_broken_script(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["flows", "test", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert "2 van 2 scripts goed." in result.output

    bad = tmp_path / "examples" / "fout.yaml"
    bad.parent.mkdir()
    bad.write_text(_script(soort="school"), encoding="utf-8")
    result = runner.invoke(main, ["flows", "test", str(bad), "--flows-dir", str(FIXTURE)])
    assert result.exit_code == 1
    assert "einde: antwoord soort: kreeg 'veiligheid', verwacht 'school'" in result.output
    assert "0 van 1 scripts goed." in result.output
