"""Random and mutated YAML never gets past the loaders as a traceback (issue #14).

An organisation edits its flows and articles by hand, so the loaders see
every kind of broken file. Hypothesis feeds the flow loader and the
knowledge loader random text and mutations of the shipped files (lines
deleted, duplicated, re-indented, truncated, characters swapped for YAML's
special ones); each load must either succeed or fail with the loader's own
located error (``FlowLoadError``, every problem as ``file:line:column``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.flowspec.errors import FlowLoadError
from bot.flowspec.loader import load_book
from bot.knowledge.loader import load_knowledge

ROOT = Path(__file__).parent.parent.parent
FLOWS = ROOT / "flows"
KNOWLEDGE = ROOT / "knowledge"
FLOW_FILES = sorted(p.name for p in FLOWS.glob("*.yaml"))
ARTICLES = sorted(p.name for p in KNOWLEDGE.glob("*.md"))
LOCATED = re.compile(r"^.+:\d+:\d+: .+")
YAML_SPECIALS = [
    *(":", "-", "{", "}", "[", "]", "&", "*", "!", "|", ">", "'", '"', "#", "%", "@"),
    *("\t", "{{", "}}", "\x00", "\ufeff"),
]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few random line and character edits."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "char", "cut"]))
        if edit == "delete":
            del lines[i]
        elif edit == "duplicate":
            lines.insert(i, lines[i])
        elif edit == "indent":
            lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
        elif edit == "dedent":
            lines[i] = lines[i].lstrip(" ")
        elif edit == "char" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + draw(st.sampled_from(YAML_SPECIALS)) + lines[i][j + 1 :]
        elif edit == "cut":
            lines = lines[: i + 1]
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "".join(lines)


@contextmanager
def copy_of(folder: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / folder.name
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns("examples"))
        yield target


def assert_located(error: FlowLoadError) -> None:
    lines = str(error).strip().splitlines()
    assert lines
    assert all(LOCATED.match(line) for line in lines if line.strip()), str(error)


def load_flows_or_located_error(folder: Path) -> None:
    try:
        load_book(folder)
    except FlowLoadError as error:
        assert_located(error)


def load_articles_or_located_error(folder: Path) -> None:
    try:
        load_knowledge(folder)
    except FlowLoadError as error:
        assert_located(error)


@FUZZ
@given(name=st.sampled_from(FLOW_FILES), data=st.data())
def test_mutated_flow_files_give_located_errors(name: str, data: st.DataObject) -> None:
    with copy_of(FLOWS) as folder:
        path = folder / name
        path.write_text(data.draw(mutated(path.read_text("utf-8"))), "utf-8")
        load_flows_or_located_error(folder)


@FUZZ
@given(name=st.sampled_from(FLOW_FILES), text=st.text(max_size=300))
@example(name=FLOW_FILES[0], text="\x08")  # a control character: was a two-line message
def test_random_text_as_a_flow_file_gives_located_errors(name: str, text: str) -> None:
    with copy_of(FLOWS) as folder:
        (folder / name).write_text(text, "utf-8")
        load_flows_or_located_error(folder)


@FUZZ
@given(name=st.sampled_from(ARTICLES), data=st.data())
def test_mutated_articles_give_located_errors(name: str, data: st.DataObject) -> None:
    with copy_of(KNOWLEDGE) as folder:
        path = folder / name
        path.write_text(data.draw(mutated(path.read_text("utf-8"))), "utf-8")
        load_articles_or_located_error(folder)


@FUZZ
@given(name=st.sampled_from(ARTICLES), raw=st.binary(max_size=200))
def test_random_bytes_as_an_article_give_located_errors(name: str, raw: bytes) -> None:
    with copy_of(KNOWLEDGE) as folder:
        (folder / name).write_bytes(raw)
        load_articles_or_located_error(folder)
