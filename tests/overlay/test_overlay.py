"""Overlays: an organisation's folder over the shipped flows, errors at its own lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import organisation_book
from bot.cli import main
from bot.flowspec.errors import FlowLoadError, SourceLocation
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.knowledge.org import with_org_articles
from bot.org.model import Organisation
from bot.service.people_port import Enrolment
from bot.service.ports import Arrival
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "flows"
EXAMPLE = SHIPPED / "examples" / "organisatie"


def _org(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "org"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _problems(folder: Path) -> list[tuple[SourceLocation, str]]:
    with pytest.raises(FlowLoadError) as caught:
        load_book(SHIPPED, overlay=folder)
    return [(p.location, p.message) for p in caught.value.problems]


@pytest.fixture(scope="module")
def example_book() -> FlowBook:
    articles = with_org_articles(load_knowledge(ROOT / "knowledge"), EXAMPLE).ids()
    return load_book(SHIPPED, overlay=EXAMPLE, articles=articles)


def test_the_example_adds_its_step_replaces_lists_options_and_the_template(
    example_book: FlowBook,
) -> None:
    book = example_book
    vier = book.blocks["vier-ogen"]
    besproken = vier.steps["besproken"]
    # The added consultation step comes right after the step it names.
    assert [b.target for b in besproken.branches] == ["aandachtsfunctionaris_brug"]
    assert vier.steps["aandachtsfunctionaris_brug"].help == "aandachtsfunctionaris-brug"
    labels = {c.key: c.label for c in besproken.choices}
    assert "intervisie" not in labels and labels["aandachtsfunctionaris"] == (
        "Onze aandachtsfunctionaris"
    )
    assert book.org.naam == "Jeugdhulp De Brug"
    partners = book.org.lijsten["partners"]
    assert "sociaal_team" in partners and "wijkteam" not in partners
    # A text the organisation did not change stays the shipped one.
    assert "nazorg" in book.org.teksten and "De Brug" in book.org.teksten["meldcode"]
    assert book.blocks["dilemma"].steps["einde"].template == "brug-vastlegging"
    assert book.flows["vier-ogen"].version == "2-brug-1"
    # The shipped flows it does not touch are the shipped ones.
    assert book.sources["opschalen.yaml"] == (SHIPPED / "opschalen.yaml").read_text()


def test_flows_test_and_check_run_the_example_organisation() -> None:
    runner = CliRunner()
    done = runner.invoke(main, ["flows", "test", "--org", str(EXAMPLE), "-v"])
    assert done.exit_code == 0, done.output
    assert "2 van 2 scripts goed" in done.output
    checked = runner.invoke(main, ["flows", "check", "--org", str(EXAMPLE)])
    assert checked.exit_code == 0, checked.output
    assert "7 flows in orde" in checked.output


def test_a_script_of_the_organisation_fails_on_the_shipped_flows(tmp_path: Path) -> None:
    script = EXAMPLE / "tests" / "vier-ogen-aandachtsfunctionaris-gebeld.yaml"
    done = CliRunner().invoke(main, ["flows", "test", str(script), "--flows-dir", str(SHIPPED)])
    assert done.exit_code == 1
    assert "Heb je de aandachtsfunctionaris van De Brug gebeld" in done.output


def test_a_step_that_is_gone_is_an_error_at_the_organisations_line(tmp_path: Path) -> None:
    folder = _org(
        tmp_path,
        {
            "vier-ogen.yaml": (
                "overlay: vier-ogen\n"
                "steps:\n"
                "  - change: besproken\n"
                "    text: Met wie?\n"
                "  - remove: bestaat_niet\n"
                "  - add:\n"
                "      - id: extra\n"
                "        say: Hallo\n"
                "    after: ook_weg\n"
            )
        },
    )
    found = _problems(folder)
    where = str(folder / "vier-ogen.yaml")
    assert (SourceLocation(where, 5, 13), found[0][1]) == found[0]
    assert "'bestaat_niet' is not in the shipped flow 'vier-ogen'" in found[0][1]
    assert found[1][0] == SourceLocation(where, 9, 12)
    assert "'ook_weg'" in found[1][1]


def test_errors_of_the_merged_flow_point_at_the_organisations_file(tmp_path: Path) -> None:
    folder = _org(
        tmp_path,
        {
            "vier-ogen.yaml": (
                "overlay: vier-ogen\n"
                "steps:\n"
                "  - change: soort\n"
                "    text: Wat voor {{ dilemma ?\n"
                "  - add:\n"
                "      - id: eigen\n"
                "        ask: yesno\n"
                "        text: Eigen vraag?\n"
                "        next: nergens\n"
                "        tekst: fout\n"
                "    before: einde\n"
            )
        },
    )
    where = str(folder / "vier-ogen.yaml")
    found = _problems(folder)
    messages = {loc: msg for loc, msg in found}
    assert all(loc.path == where for loc, _ in found), found
    assert "unknown key 'tekst'" in messages[SourceLocation(where, 10, 9)]
    assert found, "the merged flow must be rejected"
    # Fix the unknown key: the jump to nowhere and the broken text, each at its line.
    (folder / "vier-ogen.yaml").write_text(
        (folder / "vier-ogen.yaml").read_text().replace("        tekst: fout\n", "")
    )
    messages = dict(_problems(folder))
    assert "there is no step with that id" in messages[SourceLocation(where, 9, 15)]
    assert any(loc.line == 4 and loc.path == where for loc in messages)


def test_removing_a_step_the_shipped_flow_still_reads_is_reported_at_the_overlay(
    tmp_path: Path,
) -> None:
    folder = _org(tmp_path, {"vier-ogen.yaml": "overlay: vier-ogen\nsteps:\n  - remove: derde\n"})
    found = _problems(folder)
    assert found[0][0] == SourceLocation(str(folder / "vier-ogen.yaml"), 1, 1)
    assert "reads 'derde'" in found[0][1] and "in the shipped flow at" in found[0][1]
    assert str(SHIPPED / "vier-ogen.yaml") in found[0][1]


def test_sub_flows_of_the_main_flow_dropped_and_reordered(tmp_path: Path) -> None:
    folder = _org(
        tmp_path,
        {
            "dilemma.yaml": (
                "overlay: dilemma\n"
                "steps:\n"
                "  - remove: opschalen\n"
                "  - move: wie_weten\n"
                "    before: overleg\n"
            )
        },
    )
    book = load_book(SHIPPED, overlay=folder)
    steps = book.blocks["dilemma"].steps
    assert "opschalen" not in steps
    assert [b.target for b in steps["melden"].branches] == ["wie_weten"]
    assert [b.target for b in steps["wie_weten"].branches] == ["overleg"]
    assert [b.target for b in steps["toestemming"].branches] == ["einde"]


def test_a_copy_of_a_whole_shipped_flow_is_refused(tmp_path: Path) -> None:
    folder = _org(tmp_path, {"opschalen.yaml": (SHIPPED / "opschalen.yaml").read_text()})
    found = _problems(folder)
    assert len(found) == 1
    assert found[0][0].path == str(folder / "opschalen.yaml")
    assert "overlay: opschalen" in found[0][1]


def test_an_overlay_of_an_unknown_flow_and_unknown_keys(tmp_path: Path) -> None:
    folder = _org(
        tmp_path,
        {
            "a.yaml": "overlay: bestaat-niet\n",
            "b.yaml": "overlay: opschalen\nkleur: rood\nsteps:\n  - wijzig: x\n",
        },
    )
    found = _problems(folder)
    assert found[0][0] == SourceLocation(str(folder / "a.yaml"), 1, 10)
    assert "no shipped flow 'bestaat-niet'" in found[0][1]
    assert found[1][0] == SourceLocation(str(folder / "b.yaml"), 2, 1)
    assert found[2][0] == SourceLocation(str(folder / "b.yaml"), 4, 5)


def test_an_organisation_book_in_the_app_uses_the_overlay(tmp_path: Path) -> None:
    settings = Settings(flows_dir=SHIPPED, knowledge_dir=ROOT / "knowledge", name_check=False)
    knowledge = load_knowledge(ROOT / "knowledge")
    org = Organisation(1, "De Brug", {}, str(EXAMPLE))
    book = organisation_book(settings, knowledge, org)
    assert "aandachtsfunctionaris_brug" in book.blocks["vier-ogen"].steps
    broken = _org(tmp_path, {"vier-ogen.yaml": "overlay: vier-ogen\nsteps:\n  - remove: weg\n"})
    with pytest.raises(FlowLoadError) as caught:
        organisation_book(settings, KnowledgeBase(()), Organisation(2, "X", {}, str(broken)))
    assert caught.value.problems[0].location.path == str(broken / "vier-ogen.yaml")


def test_flows_graph_draws_the_organisations_merged_flow() -> None:
    done = CliRunner().invoke(main, ["flows", "graph", "vier-ogen", "--org", str(EXAMPLE)])
    assert done.exit_code == 0, done.output
    assert "Heb je de aandachtsfunctionaris van De Brug gebeld" in done.output
    assert "vier_ogen__besproken --> vier_ogen__aandachtsfunctionaris_brug" in done.output


def test_org_names_neither_folder_nor_organisation(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        main,
        ["flows", "graph", "dilemma", "--org", "Bestaat Niet"],
        env={"VOORKOMEN_DATABASE_URL": f"sqlite:///{tmp_path / 'leeg.db'}"},
    )
    assert done.exit_code == 2
    assert "'Bestaat Niet' is geen map en geen organisatie" in done.output


def test_the_guide_shows_the_current_diagram_of_the_example(example_book: FlowBook) -> None:
    """Regenerate with the command the guide names, between its markers."""
    from bot.diagram.build import build
    from bot.diagram.render import to_mermaid

    guide = (ROOT / "docs" / "flows-aanpassen.md").read_text(encoding="utf-8")
    marker = "<!-- diagram: vier-ogen --org flows/examples/organisatie -->\n```mermaid\n"
    start = guide.index(marker) + len(marker)
    shown = guide[start : guide.index("```\n", start)]
    assert shown == to_mermaid(build(example_book, "vier-ogen"))
    assert "aandachtsfunctionaris_brug" in shown


ARTICLE = """---
id: eigen-uitleg
title: Zo kiezen wij het soort dilemma
tags: [soort, dilemma]
samenvatting: >-
  Bij ons kies je het soort dilemma samen met je teamleider.
sources:
  - "Eigen werkwijze (voorbeeld) – Organisatie A – 2026"
peildatum: 2026-12-02
---
Bij ons kies je het soort dilemma samen met je teamleider. Twijfel je? Kies dan Iets anders.
"""


def test_a_member_reads_the_organisations_own_article_in_the_running_bot(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.app import create_app
    from bot.engine.messages import ChannelTraits, Say, TextIn
    from bot.org.model import Role
    from bot.service.ports import ConversationKey, Sender
    from tests.support.chat import FIXTURES

    folder = _org(
        tmp_path,
        {
            "demo.yaml": "overlay: demo\nsteps:\n  - change: soort\n    help: eigen-uitleg\n",
            "kennis/eigen-uitleg.md": ARTICLE,
        },
    )
    settings = Settings(
        name_check=False,
        database_url=f"sqlite:///{tmp_path / 'v.db'}",
        flows_dir=FIXTURES / "flows",
        knowledge_dir=tmp_path / "geen",
        main_flow="demo",
    )
    app = create_app(settings)
    try:
        now = datetime.now(UTC)
        own = app.people.create_organisation("A", flows_dir=str(folder), now=now)
        plain = app.people.create_organisation("B", now=now)
        traits = ChannelTraits("telegram", end_to_end_encrypted=True)
        said: dict[str, str] = {}
        for org, user in ((own, "anna"), (plain, "bo")):
            app.people.enrol(
                Enrolment(
                    org.id, user, frozenset({Role.PROFESSIONAL}), identity=("telegram", user)
                ),
                now=now,
            )
            key, sender = ConversationKey("telegram", user), Sender("telegram", user, user)
            app.service.start_now(Arrival.starting(key, traits, sender))
            app.service.handle_now(Arrival(key, TextIn("C-1"), traits, sender))
            replies = app.service.handle_now(Arrival(key, TextIn("uitleg"), traits, sender))
            said[user] = " ".join(r.text for r in replies if isinstance(r, Say))
        assert "samen met je teamleider" in said["anna"]
        assert "samen met je teamleider" not in said["bo"]
    finally:
        app.close()


def test_a_text_the_organisation_removes_is_reported_in_its_own_settings(tmp_path: Path) -> None:
    folder = _org(tmp_path, {"organisatie.yaml": "naam: Eigen\nteksten:\n  meldcode: ~\n"})
    found = _problems(folder)
    assert found
    for location, message in found:
        assert location.path == str(folder / "organisatie.yaml")
        assert "has no text 'meldcode'" in message and "in the shipped flow at" in message


def test_a_step_inside_a_foreach_is_named_with_a_dot(tmp_path: Path) -> None:
    folder = _org(
        tmp_path,
        {
            "toestemming.yaml": (
                "overlay: toestemming\n"
                "steps:\n"
                "  - change: per_partner.antwoord_kind\n"
                "    text: Mag je dit met {{ naam }} delen?\n"
                "  - remove: per_partner.geen_stap\n"
            )
        },
    )
    found = _problems(folder)
    assert found == [
        (
            SourceLocation(str(folder / "toestemming.yaml"), 5, 13),
            "step 'per_partner.geen_stap' is not in the shipped flow 'toestemming' "
            "(renamed or removed?)",
        )
    ]
    overlay = folder / "toestemming.yaml"
    overlay.write_text(overlay.read_text().replace("  - remove: per_partner.geen_stap\n", ""))
    book = load_book(SHIPPED, overlay=folder)
    step = book.blocks["toestemming#per_partner"].steps["antwoord_kind"]
    assert step.text is not None and "Mag je dit met" in step.text.source
