"""The decision diff of the example adaptation (flows/examples/organisatie) against
the shipped flows: what changes for the professional, in words."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "flows"
EXAMPLE = SHIPPED / "examples" / "organisatie"


def test_the_diff_of_the_example_organisation_says_what_changes() -> None:
    done = CliRunner().invoke(main, ["flows", "diff", str(SHIPPED), "--org", str(EXAMPLE)])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    besproken = "«Met wie heb je het dilemma besproken? Kies alles wat past.»"
    assert (
        "- Nieuwe vraag in «Vier-ogen overleg»: "
        "«Heb je de aandachtsfunctionaris van De Brug gebeld (030-760 40 44)?»"
    ) in lines
    assert (
        "- Vraag anders gesteld in «Vier-ogen overleg»: was «Met wie heb je het dilemma "
        f"besproken?», nu {besproken}"
    ) in lines
    assert f"- Antwoord verdwenen bij {besproken}: «Intervisie»" in lines
    assert (
        f"- Antwoord anders genoemd bij {besproken}: "
        "was «Aandachtsfunctionaris», nu «Onze aandachtsfunctionaris»"
    ) in lines
    partners = [line for line in lines if "«Wie moet dit weten" in line]
    assert any(line.endswith("«Sociaal team Utrecht»") for line in partners)
    assert any(line.endswith("«Wijkteam»") and "verdwenen" in line for line in partners)
    new_advice = "- Nieuw advies: «De aandachtsfunctionaris van De Brug bellen voor een besluit.»"
    at = lines.index(new_advice)
    # Each change comes with an example path that leads to it.
    assert lines[at + 1].strip().startswith("Bijvoorbeeld:")
    assert lines[at + 1].endswith(
        "«Heb je de aandachtsfunctionaris van De Brug gebeld (030-760 40 44)?»: Nee"
    )
