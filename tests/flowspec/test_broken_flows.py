"""Every validation rule, proven by a broken fixture with its exact location.

Each folder under ``tests/fixtures/broken/`` holds a flow whose first line says
``# expect: <file>:<line>:<column>: <message start>``; the loader must report
exactly that problem at exactly that place.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.flowspec.errors import FlowLoadError
from bot.flowspec.loader import load_book

BROKEN = Path(__file__).parent.parent / "fixtures" / "broken"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())


def _expectation(case: Path) -> str:
    for path in sorted(case.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        if first.startswith("# expect: "):
            return first.removeprefix("# expect: ")
    raise AssertionError(f"{case} has no '# expect:' line")


def _ensure_templates(case: Path, tmp_path: Path) -> Path:
    """Copy the case and add a valid template 't' unless the case brings its own."""
    target = tmp_path / case.name
    target.mkdir()
    for path in case.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(case)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    templates = target / "templates"
    if not templates.exists():
        templates.mkdir()
        (templates / "t.txt.j2").write_text("tekst\n", encoding="utf-8")
        (templates / "t.md.j2").write_text("# tekst\n", encoding="utf-8")
    return target


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_flow_is_rejected_at_its_line_and_column(case: Path, tmp_path: Path) -> None:
    expected = _expectation(case)
    folder = _ensure_templates(case, tmp_path)
    with pytest.raises(FlowLoadError) as caught:
        load_book(folder, articles=frozenset({"bestaand-artikel"}))
    reported = [str(p).removeprefix(f"{folder}/") for p in caught.value.problems]
    assert any(r.startswith(expected) for r in reported), reported


def test_every_rule_has_a_fixture() -> None:
    assert len(CASES) >= 19


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    folder = tmp_path / "veel"
    (folder / "templates").mkdir(parents=True)
    (folder / "templates" / "t.txt.j2").write_text("x")
    (folder / "templates" / "t.md.j2").write_text("x")
    (folder / "veel.yaml").write_text(
        "id: veel\nversion: '1'\ntitle: Veel\nsteps:\n"
        "  - id: a\n    say: x\n    next: nergens\n"
        "  - id: b\n    say: y\n    next: ookniet\n"
        "  - id: einde\n    end: t\n"
    )
    with pytest.raises(FlowLoadError) as caught:
        load_book(folder)
    messages = [p.message for p in caught.value.problems]
    assert any("'nergens'" in m for m in messages)
    assert any("'ookniet'" in m for m in messages)


def test_flows_check_command_prints_locations_and_fails(tmp_path: Path) -> None:
    folder = _ensure_templates(BROKEN / "dangling-jump", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "flows", "check", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"{folder}/sprong.yaml:8:11: jumps to 'nergens'" in result.stderr


def test_flows_check_command_accepts_good_flows() -> None:
    fixtures = Path(__file__).parent.parent / "fixtures" / "flows"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "flows", "check", str(fixtures)],
        capture_output=True,
        text=True,
        check=False,
        env={"VOORKOMEN_KNOWLEDGE_DIR": str(fixtures / "geen-kennis"), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "3 flows in orde" in result.stdout
