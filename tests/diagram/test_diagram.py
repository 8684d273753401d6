"""Flow diagrams: conditions in words, every step drawn, SVG through real Graphviz,
and the README's picture of the main flow is the current one."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.diagram.build import build, vocabulary
from bot.diagram.render import to_dot, to_mermaid
from bot.diagram.words import Vocabulary, in_words
from bot.flowspec.loader import load_book

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "flowtest" / "flows"

VOCAB = Vocabulary(
    questions={"soort": "Wat voor dilemma is het?", "leeftijd": "Hoe oud is het kind?"},
    labels={
        "soort": {"veiligheid": "Zorgen over veiligheid"},
        "leeftijd": {"12-15": "12 tot en met 15 jaar", "16+": "16 jaar of ouder"},
    },
)


def test_a_condition_reads_as_plain_dutch_with_question_texts_and_labels() -> None:
    words = in_words("soort == 'veiligheid' and leeftijd in ['12-15','16+']", VOCAB)
    assert words == (
        "«Wat voor dilemma is het?» is «Zorgen over veiligheid» en "
        "«Hoe oud is het kind?» is «12 tot en met 15 jaar» of «16 jaar of ouder»"
    )


def test_other_condition_shapes_have_words_too() -> None:
    assert in_words("not soort", VOCAB) == "«Wat voor dilemma is het?» is niet beantwoord of leeg"
    assert in_words("soort != 'veiligheid'", VOCAB) == (
        "«Wat voor dilemma is het?» is niet «Zorgen over veiligheid»"
    )
    assert in_words("'16+' in leeftijd", VOCAB) == (
        "bij «Hoe oud is het kind?» is «16 jaar of ouder» gekozen"
    )
    assert in_words("a or b", VOCAB) == "(a is ingevuld of b is ingevuld)"


def test_what_has_no_words_is_shown_as_the_expression_itself() -> None:
    assert in_words("x | length > 2", VOCAB) == "`x | length > 2`"


def test_the_diagram_has_every_step_and_its_branches_in_words() -> None:
    book = load_book(FIXTURE)
    diagram = build(book, "melden")
    kinds = {n.id.split("__")[1]: n.kind for n in diagram.nodes}
    assert kinds == {
        "code": "ask",
        "soort": "ask",
        "leeftijd": "ask",
        "meldcode": "advise",
        "overleg": "call",
        "einde": "end",
    }
    labels = {(e.source, e.target): e.label for e in diagram.edges}
    assert labels[("melden__soort", "melden__leeftijd")] == (
        "«Waar gaat je zorg over?» is «Veiligheid van het kind»"
    )
    assert labels[("melden__soort", "melden__overleg")] == "anders"
    advice = next(n for n in diagram.nodes if n.kind == "advise")
    assert "alleen als «Waar gaat je zorg over?» is «Veiligheid van het kind» en" in advice.label
    call = next(n for n in diagram.nodes if n.kind == "call")
    assert call.label == "Deelflow: Overleg met een collega"


def test_sub_flow_answers_are_named_by_their_question() -> None:
    book = load_book(ROOT / "flows")
    vocab = vocabulary(book, "dilemma")
    assert vocab.questions["veiligheid.onveilig"].startswith(
        "Is er acute of structurele onveiligheid?"
    )
    assert vocab.questions["overleg.gedeeld"] == "Zien jullie het hetzelfde?"


def test_mermaid_and_dot_hold_every_node() -> None:
    diagram = build(load_book(FIXTURE), "melden")
    mermaid, dot = to_mermaid(diagram), to_dot(diagram)
    assert mermaid.startswith("flowchart TD\n")
    for node in diagram.nodes:
        assert f"    {node.id}" in mermaid
        assert f"  {node.id} [label=" in dot


def test_flows_graph_renders_svg_with_graphviz(tmp_path: Path) -> None:
    assert shutil.which("dot"), "Graphviz is installed by mk/studio.mk"
    out = tmp_path / "melden.svg"
    args = ["flows", "graph", "melden", "--flows-dir", str(FIXTURE), "--format", "svg"]
    result = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    svg = ET.fromstring(out.read_bytes())
    assert svg.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in svg.iter() if t.tag.endswith("text"))
    assert "Waar gaat je zorg over?" in texts
    assert "Deelflow: Overleg met een" in texts


def test_flows_graph_names_an_unknown_flow() -> None:
    """(``--org`` is tested with the overlays, in tests/overlay.)"""
    runner = CliRunner()
    result = runner.invoke(main, ["flows", "graph", "nee", "--flows-dir", str(FIXTURE)])
    assert result.exit_code != 0
    assert "Er is geen flow 'nee'" in result.output


def test_the_readme_shows_the_current_main_flow() -> None:
    """Regenerate with ``voorkomen flows graph dilemma`` between the README's markers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- diagram: dilemma -->\n```mermaid\n(.*?)```\n", readme, re.S)
    assert found, "README.md lacks the diagram block"
    current = to_mermaid(build(load_book(ROOT / "flows"), "dilemma"))
    assert found.group(1) == current, "the README's diagram is stale; regenerate it"
