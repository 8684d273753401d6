"""The loader reports every broken article at the exact line and column to fix.

Each folder under ``fixtures/`` holds one kind of mistake; the expected
problems are written out in full, so a change of line, column or wording is
a visible, reviewed change.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.flowspec.errors import FlowLoadError
from bot.knowledge.loader import load_knowledge

FIXTURES = Path(__file__).parent / "fixtures"

ALLOWED = "allowed keys are id, title, tags, sources, peildatum, samenvatting"
SOURCE_FORMAT = (
    "write a source as 'title – organisation – year' "
    "(with en dashes; use 'z.j.' when there is no year)"
)
NOT_A_DATE = "is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23"
MISMATCH = "rename the file or change the id"

# case folder -> [(file, line, column, message)], in the order FlowLoadError sorts them
EXPECTED: dict[str, list[tuple[str, int, int, str]]] = {
    "no-front-matter": [
        (
            "geen-kop.md",
            1,
            1,
            "missing front matter: start the file with a line '---', "
            "then id, title, tags, sources and peildatum, then a line '---'",
        )
    ],
    "unclosed": [
        ("open-kop.md", 1, 1, "front matter is not closed: add a line '---' after the keys")
    ],
    "empty-front": [
        (
            "lege-kop.md",
            1,
            1,
            "front matter is empty: add id, title, tags, sources and peildatum",
        )
    ],
    "not-a-mapping": [
        ("lijst.md", 2, 1, "front matter must be keys with values, e.g. 'title: ...'")
    ],
    "yaml-syntax": [
        ("kapot.md", 3, 13, "YAML syntax error: mapping values are not allowed in this context")
    ],
    "yaml-unclosed-list": [
        (
            "lijst-open.md",
            5,
            8,
            "YAML syntax error: did not find expected ',' or ']' "
            "(while parsing a flow sequence that starts at line 4, column 7)",
        )
    ],
    "unknown-key": [
        ("onbekend.md", 2, 1, "missing key 'tags'"),
        ("onbekend.md", 4, 1, f"unknown key 'tgas'; {ALLOWED}"),
    ],
    "duplicate-key": [("dubbele-sleutel.md", 5, 1, "duplicate key 'title' (first at line 3)")],
    "id-mismatch": [
        (
            "verkeerde-naam.md",
            2,
            5,
            f"id 'andere-naam' does not match the file name 'verkeerde-naam.md'; {MISMATCH}",
        )
    ],
    "bad-id": [
        (
            "Vier_Ogen.md",
            2,
            5,
            "id: use lowercase letters, digits and single hyphens, e.g. 'vier-ogen'",
        )
    ],
    "bad-peildatum": [("datum.md", 7, 12, f"peildatum: '23-11-2026' {NOT_A_DATE}")],
    "impossible-peildatum": [("geen-dag.md", 7, 12, f"peildatum: '2026-02-30' {NOT_A_DATE}")],
    "wrong-types": [
        ("soorten.md", 3, 8, "title: must be text"),
        ("soorten.md", 4, 7, "tags: must be a list, e.g. [a, b]"),
        ("soorten.md", 7, 5, "sources[1]: must be text"),
    ],
    "bad-source": [("bron.md", 7, 5, f"sources[1]: {SOURCE_FORMAT}")],
    "empty-values": [
        ("leeg.md", 3, 7, "title: must not be empty"),
        ("leeg.md", 4, 7, "tags: needs at least one entry"),
    ],
    "no-body": [("zonder-tekst.md", 8, 1, "the article has no text after the front matter")],
    "too-long": [
        ("te-lang.md", 10, 1, "the text is 301 words; keep it at most 300 for a phone screen")
    ],
}


def _problems(folder: Path) -> list[str]:
    with pytest.raises(FlowLoadError) as caught:
        load_knowledge(folder)
    return [str(problem) for problem in caught.value.problems]


def test_every_fixture_folder_has_an_expectation() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED) | {"duplicate-id"}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_fixture_is_reported_at_line_and_column(case: str) -> None:
    folder = FIXTURES / case
    expected = [
        f"{folder / name}:{line}:{column}: {msg}" for name, line, column, msg in EXPECTED[case]
    ]
    assert _problems(folder) == expected


def test_duplicate_id_points_at_the_copy_and_names_the_original() -> None:
    folder = FIXTURES / "duplicate-id"
    first, second = folder / "eerste.md", folder / "tweede.md"
    assert _problems(folder) == [
        f"{second}:2:5: duplicate id 'eerste' (also used in {first}:2:5)",
        f"{second}:2:5: id 'eerste' does not match the file name 'tweede.md'; {MISMATCH}",
    ]


def test_problems_of_all_files_are_raised_together(tmp_path: Path) -> None:
    for case in ("yaml-syntax", "bad-peildatum", "too-long"):
        for source in (FIXTURES / case).iterdir():
            (tmp_path / source.name).write_bytes(source.read_bytes())
    problems = _problems(tmp_path)
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{tmp_path / 'datum.md'}:7:12",
        f"{tmp_path / 'kapot.md'}:3:13",
        f"{tmp_path / 'te-lang.md'}:10:1",
    ]


def _article(**overrides: str) -> str:
    keys = {
        "id": "proef",
        "title": "Een proefartikel",
        "tags": "[proef]",
        "sources": '\n  - "Titel – Organisatie – z.j."',
        "peildatum": "2026-11-23",
    }
    keys.update(overrides)
    front = "\n".join(f"{key}: {value}" for key, value in keys.items())
    return f"---\n{front}\n---\nDe tekst van het artikel.\n"


def test_yes_no_on_off_stay_words_and_the_date_is_parsed(tmp_path: Path) -> None:
    (tmp_path / "proef.md").write_text(
        _article(title="nee", tags="[ja, nee, no, yes, on, off, 'true']"), encoding="utf-8"
    )
    article = load_knowledge(tmp_path).get("proef")
    assert article is not None
    assert article.title == "nee"
    assert article.tags == ("ja", "nee", "no", "yes", "on", "off", "true")
    assert article.peildatum == date(2026, 11, 23)
    assert article.sources == ("Titel – Organisatie – z.j.",)
    assert article.body == "De tekst van het artikel."
    assert article.path == str(tmp_path / "proef.md")


def test_windows_line_endings_and_a_byte_order_mark_are_fine(tmp_path: Path) -> None:
    text = "\ufeff" + _article().replace("\n", "\r\n")
    (tmp_path / "proef.md").write_bytes(text.encode("utf-8"))
    article = load_knowledge(tmp_path).get("proef")
    assert article is not None
    assert article.body == "De tekst van het artikel."


def test_hidden_files_and_other_extensions_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "proef.md").write_text(_article(), encoding="utf-8")
    (tmp_path / ".kladje.md").write_text("geen kop", encoding="utf-8")
    (tmp_path / "notities.txt").write_text("geen kop", encoding="utf-8")
    assert load_knowledge(tmp_path).ids() == frozenset({"proef"})


def test_a_missing_or_empty_folder_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "bestaat-niet"
    assert _problems(missing) == [f"{missing}:1:1: the knowledge folder does not exist"]
    assert _problems(tmp_path) == [f"{tmp_path}:1:1: the knowledge folder has no *.md articles"]


def test_a_title_too_long_for_a_phone_is_reported(tmp_path: Path) -> None:
    (tmp_path / "proef.md").write_text(_article(title="x" * 61), encoding="utf-8")
    assert _problems(tmp_path) == [
        f"{tmp_path / 'proef.md'}:3:8: title: is 61 characters; "
        "keep it at most 60 for a phone screen"
    ]


def test_a_summary_is_read_and_one_too_long_for_a_phone_is_reported(tmp_path: Path) -> None:
    (tmp_path / "proef.md").write_text(_article(samenvatting="Kort en goed."), encoding="utf-8")
    article = load_knowledge(tmp_path).get("proef")
    assert article is not None and article.summary == "Kort en goed."
    (tmp_path / "proef.md").write_text(_article(samenvatting="x" * 601), encoding="utf-8")
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'proef.md'}:8:15:")
    assert problem.endswith(
        "samenvatting: is 601 characters; keep it to at most 600 (one phone message)"
    )


def test_a_file_that_is_not_utf8_is_located_at_the_bad_byte(tmp_path: Path) -> None:
    # Made here rather than kept as a fixture: ruff reads every *.md under tests/.
    text = _article(id="latin").encode("utf-8") + "Een cli\xebnt.\n".encode("latin-1")
    (tmp_path / "latin.md").write_bytes(text)
    assert _problems(tmp_path) == [
        f"{tmp_path / 'latin.md'}:10:8: the file is not UTF-8 text; save it as UTF-8"
    ]
