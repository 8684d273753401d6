"""The decision diff: an organisation adds a step, rewords a question and changes a branch."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.flowdiff.compare import compare
from bot.flowspec.loader import load_book

HERE = Path(__file__).resolve().parent
OLD, NEW = HERE / "old", HERE / "new"
START = "«Wat is je casuscode?»: (een antwoord)"


def _texts(kind: str, old: Path, new: Path) -> list[tuple[str, str]]:
    report = compare(load_book(old), load_book(new))
    return [(f.text, f.example) for f in report.section(kind)]


def test_new_and_reworded_questions_are_named() -> None:
    assert _texts("vraag", OLD, NEW) == [
        (
            "Nieuwe vraag in «Een zorg melden»: «Heb je de aandachtsfunctionaris al gebeld?»",
            START,
        ),
        (
            "Vraag anders gesteld in «Een zorg melden»: "
            "was «Hoe oud is het kind?», nu «Hoe oud is de jongere?»",
            "",
        ),
    ]


def test_an_answer_that_now_leads_elsewhere_has_an_example_path() -> None:
    assert _texts("route", OLD, NEW) == [
        (
            "Na «Waar gaat je zorg over?» met «Schoolverzuim» komt nu «Hoe oud is de jongere?» "
            "(eerst: «Met wie heb je overlegd?»)",
            f"{START} → «Waar gaat je zorg over?»: Schoolverzuim",
        )
    ]


def test_advice_given_in_more_situations_and_back_in_fewer() -> None:
    more = _texts("advies", OLD, NEW)
    assert more == [
        (
            "Advies wordt in meer situaties gegeven: "
            "«Meldcode volgen en de jongere om toestemming vragen.»",
            f"{START} → «Heb je de aandachtsfunctionaris al gebeld?»: Ja"
            " → «Waar gaat je zorg over?»: Schoolverzuim"
            " → «Hoe oud is de jongere?»: 12 tot en met 15 jaar",
        )
    ]
    fewer = _texts("advies", NEW, OLD)
    assert [text for text, _ in fewer] == [
        "Advies wordt in minder situaties gegeven: "
        "«Meldcode volgen en de jongere om toestemming vragen.»"
    ]
    assert next(text for text, _ in _texts("vraag", NEW, OLD)) == (
        "Vraag verdwenen uit «Een zorg melden»: «Heb je de aandachtsfunctionaris al gebeld?»"
    )


def test_no_change_says_so() -> None:
    report = compare(load_book(NEW), load_book(NEW))
    assert report.empty
    assert report.to_text().startswith("Voor de professional verandert er niets")


def test_the_command_compares_two_git_revisions_of_one_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(OLD, flows)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@127.0.0.1", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "old")
    shutil.rmtree(flows)
    shutil.copytree(NEW, flows)
    git("add", ".")
    git("commit", "-qm", "new")
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["flows", "diff", "HEAD~1:flows", "HEAD:flows"])
    assert result.exit_code == 0, result.output
    assert "Antwoorden die nu ergens anders heen leiden" in result.output
    assert "Nieuwe vraag in «Een zorg melden»" in result.output
    folders = runner.invoke(main, ["flows", "diff", str(OLD), str(NEW)])
    assert folders.output == result.output


def test_the_command_explains_a_bad_argument() -> None:
    result = CliRunner().invoke(main, ["flows", "diff", "geen-map", str(NEW)])
    assert result.exit_code != 0
    assert "'geen-map' is geen map en geen git-versie" in result.output
