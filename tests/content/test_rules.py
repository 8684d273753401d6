"""The house rules for the shipped content, checked on every flow and template.

The flows pass ``voorkomen flows check`` (with their help links checked
against ``knowledge/``); the safety lines are where they must be (``nood``,
112, Veilig Thuis and the achterwacht in every welcome; "jij beslist");
organisation-dependent guidance comes from ``organisatie.yaml``; questions
are phone-sized; free text that describes the case is marked and short;
the case code comes first; and no text ever tells a professional not to
report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.flows import flows as flows_command
from bot.engine.messages import Ask, QuestionKind, Say
from bot.flowspec.graph import FlowBook, Step
from tests.content.support import (
    EXAMPLES,
    FLOWS,
    KNOWLEDGE,
    Play,
    examples,
    knowledge,
    load_example,
    play,
    shipped_book,
    shipped_sources,
    with_org,
)

NOW = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
TYPICAL = EXAMPLES / "dilemma-veiligheid.yaml"
PHONE_SCREEN_LINES = 30
MAX_QUESTION = 160
MAX_LABEL = 50
MAX_FREE_TEXT = 300
# Free-text questions that do not describe the case: a neutral code and a partner's role.
NOT_CASE_TEXT = {"casuscode", "anders_wie"}
# Words that would tell a professional not to report. The bot never says them.
DO_NOT_REPORT = re.compile(
    r"\bniet (?:te )?melden\b|\bmeld (?:het |dit )?niet\b|\bgeen melding (?:doen|nodig)\b"
    r"|\bhoeft (?:niet|geen) (?:te )?melden\b",
    re.IGNORECASE,
)


def _steps(book: FlowBook) -> list[tuple[str, Step]]:
    return [(bid, s) for bid, block in book.blocks.items() for s in block.steps.values()]


def test_voorkomen_flows_check_passes_with_the_knowledge_articles() -> None:
    assert KNOWLEDGE.is_dir(), "the help links can only be checked with knowledge/"
    result = CliRunner().invoke(
        flows_command, ["check", str(FLOWS), "--knowledge", str(KNOWLEDGE)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert f"{FLOWS}: 7 flows in orde" in result.output


def test_every_help_link_names_an_existing_article() -> None:
    ids = knowledge().ids()
    linked = {s.help for _, s in _steps(shipped_book()) if s.help}
    assert linked <= ids, sorted(linked - ids)
    assert len(linked) >= 15  # the questions point to most of the knowledge base


def test_the_examples_folder_is_not_read_as_flows() -> None:
    assert not [name for name in shipped_sources() if name.startswith("examples")]
    assert {e.flow for e in examples()} <= set(shipped_book().flows)


def test_every_flow_asks_the_case_code_first_and_links_it() -> None:
    book = shipped_book()
    for flow in book.flows.values():
        assert flow.case_code == "casuscode", flow.id
        block = book.blocks[flow.block]
        first_ask = next(s for s in _walk_order(block.steps, block.start) if s.kind == "ask")
        assert first_ask.id == "casuscode", flow.id
        assert first_ask.max_length <= 20
        assert first_ask.text is not None and "Nooit een naam" in first_ask.text.source


def _walk_order(steps: Mapping[str, Step], start: str) -> list[Step]:
    """The steps along the first branch of each step, from ``start``."""
    out: list[Step] = []
    current: str | None = start
    while current is not None:
        step = steps[current]
        out.append(step)
        current = step.branches[0].target if step.branches else None
    return out


def test_the_welcome_names_every_emergency_line_and_who_decides() -> None:
    p = Play(shipped_book(), "dilemma", NOW)
    opening = p.start()
    welcome = " ".join(r.text for r in opening.replies if isinstance(r, Say))
    for needed in ("112", "0800-2000", shipped_book().org.achterwacht, "nood", "Jij beslist"):
        assert needed in welcome
    assert "geen juridisch advies" in welcome


@pytest.mark.parametrize(
    "flow", ["vier-ogen", "wie-weten", "toestemming", "opschalen", "meldcode", "calamiteit"]
)
def test_a_part_run_alone_says_who_decides_and_how_to_get_help(flow: str) -> None:
    opening = Play(shipped_book(), flow, NOW).start()
    intro = " ".join(r.text for r in opening.replies if isinstance(r, Say))
    for needed in ("Jij beslist", "nood", "112"):
        assert needed in intro


def test_organisation_texts_used_by_the_flows_exist_with_a_default() -> None:
    book = shipped_book()
    used: set[str] = set()
    for name, text in shipped_sources().items():
        used |= set(re.findall(r"org\.teksten\.([a-z_]+)", text))
        assert "org.teksten[" not in text, name
    assert used, "the flows show organisation texts"
    for key in sorted(used):
        assert book.org.teksten.get(key, "").strip(), f"organisatie.yaml: teksten.{key} is missing"
    partners = book.org.lijsten["partners"]
    assert {"veilig_thuis", "raad"} <= set(partners)  # the meldrecht route names them


def test_changing_the_organisation_texts_changes_what_the_bot_says() -> None:
    book = with_org(
        achterwacht="de achterwacht: 010-555 00 00",
        teksten={**shipped_book().org.teksten, "meldcode": "Volg de meldcode van Jeugdhulp Test."},
    )
    p = play(load_example(TYPICAL), book)
    said = " ".join(r.text for res in p.results for r in res.replies if isinstance(r, Say))
    assert "Volg de meldcode van Jeugdhulp Test." in said
    assert "de achterwacht: 010-555 00 00" in said  # the welcome, and nood


def test_no_text_tells_a_professional_not_to_report() -> None:
    for name, text in shipped_sources().items():
        found = DO_NOT_REPORT.search(text)
        assert found is None, f"{name}: '{found.group(0) if found else ''}'"
    for p in (play(e) for e in examples()):
        for res in p.results:
            for reply in res.replies:
                if isinstance(reply, Say | Ask):
                    assert DO_NOT_REPORT.search(reply.text) is None, reply.text
        assert DO_NOT_REPORT.search(p.document().text) is None


def test_questions_and_choices_are_phone_sized() -> None:
    for block_id, step in _steps(shipped_book()):
        if step.kind != "ask":
            continue
        assert step.text is not None
        assert len(" ".join(step.text.source.split())) <= MAX_QUESTION + 60, (block_id, step.id)
        for choice in step.choices:
            assert len(choice.label) <= MAX_LABEL, (block_id, step.id, choice.label)
    for p in (play(e) for e in examples()):
        for res in p.results:
            for reply in res.replies:
                if isinstance(reply, Ask):
                    assert len(reply.text) <= MAX_QUESTION, reply.text


def test_free_text_that_describes_the_case_is_marked_and_short() -> None:
    for block_id, step in _steps(shipped_book()):
        if step.kind != "ask" or step.question is not QuestionKind.TEXT:
            continue
        assert step.max_length <= MAX_FREE_TEXT, (block_id, step.id)
        assert step.describes_case is (step.id not in NOT_CASE_TEXT), (block_id, step.id)


def test_a_typical_case_fits_on_one_phone_screen() -> None:
    doc = play(load_example(TYPICAL)).document()
    assert len(doc.text.splitlines()) <= PHONE_SCREEN_LINES, doc.text
    assert len(doc.markdown.splitlines()) <= PHONE_SCREEN_LINES + 2, doc.markdown


def test_the_template_partial_is_shared_not_copied() -> None:
    templates = FLOWS / "templates"
    for suffix, md in ((".txt.j2", "false"), (".md.j2", "true")):
        text = (templates / f"vastlegging{suffix}").read_text(encoding="utf-8")
        assert f"{{% set md = {md} %}}" in text
        assert '{% include "_vastlegging.j2" %}' in text
        assert len(text.splitlines()) <= 4
    assert {p.name for p in Path(templates).glob("*.j2")} == {
        "_vastlegging.j2",
        "vastlegging.txt.j2",
        "vastlegging.md.j2",
    }


def test_free_text_on_channels_without_encryption_is_off_by_default() -> None:
    """Nothing recognisable is typed where it is not end-to-end encrypted, unless chosen."""
    from bot.flowspec.model import OrgSettings

    assert shipped_book().org.vrije_tekst_zonder_versleuteling is False
    assert OrgSettings.model_fields["vrije_tekst_zonder_versleuteling"].default is False
