"""The generated big flow: valid, as large as asked, and loadable when very long.

Loading used to walk the flow graph recursively, so a flow of a couple of
thousand steps failed with RecursionError instead of loading.
"""

from __future__ import annotations

from pathlib import Path

from bench.flowgen import FLOW_ID, flow_text, write_book
from bot.flowspec.loader import load_book
from bot.settings import Settings


def test_a_flow_longer_than_the_recursion_limit_loads(tmp_path: Path) -> None:
    folder = write_book(tmp_path / "flows", 2500, Settings().flows_dir)
    book = load_book(folder)
    steps = book.blocks[book.flows[FLOW_ID].block].steps
    assert len(steps) == 2501
    assert book.flows[FLOW_ID].title


def test_flow_text_has_every_step_kind() -> None:
    text = flow_text(10)
    for kind in ("say:", "ask: choice", "ask: yesno", "ask: multi", "ask: text", "ask: date"):
        assert kind in text
    for key in ("advise:", "set:", "when:", "goto:", "end: vastlegging"):
        assert key in text
