"""Every branch of every shipped flow is reached by some example conversation.

Two checks over all examples together:

- every edge of the flow graph (a step to its next step) is walked, taken
  from the trace the engine reports with each step;
- every step with a ``when`` is seen both ways: its condition held at least
  once (the question was asked, the advice or text shown, the sub-flow run)
  and failed at least once (it was skipped).

A step or branch that no example reaches is listed by name, so the fix is
to add or extend an example in ``flows/examples``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

from bot.engine.messages import Say
from bot.engine.state import EntryKind, LogEntry
from bot.flowspec.graph import FlowBook, Step
from tests.content.support import Play, examples, play, shipped_book


@cache
def _plays() -> tuple[Play, ...]:
    return tuple(play(e) for e in examples())


def test_every_branch_of_every_flow_is_walked() -> None:
    book = shipped_book()
    expected = {
        (block_id, step_id, branch.target)
        for block_id, block in book.blocks.items()
        for step_id, step in block.steps.items()
        for branch in step.branches
    }
    walked = {edge for p in _plays() for result in p.results for edge in result.trace}
    missing = sorted(expected - walked)
    assert not missing, "never walked:\n" + "\n".join(f"{b}: {s} -> {t}" for b, s, t in missing)


def _literal(step: Step) -> str:
    """The longest piece of a text without Jinja in it, to recognise it in a reply."""
    assert step.text is not None
    pieces = re.split(r"\{\{.*?\}\}|\{%.*?%\}", step.text.source, flags=re.S)
    return max((" ".join(p.split()) for p in pieces), key=len)


def _entered(entry: LogEntry, callee_block: str, call_id: str) -> bool:
    return any(f.block == callee_block and f.ns[-1:] == (call_id,) for f in entry.stack)


def _outcomes(book: FlowBook) -> dict[tuple[str, str], set[bool]]:
    """For each conditional step: the values its ``when`` took in the examples."""
    seen: dict[tuple[str, str], set[bool]] = defaultdict(set)
    for p in _plays():
        assert p.opening is not None
        steps = [((), p.opening), *((t.before.log, t.result) for t in p.turns)]
        for before, result in steps:
            after = result.state.log
            new = after[len(before) :] if after[: len(before)] == before else ()
            shown = [" ".join(r.text.split()) for r in result.replies if isinstance(r, Say)]
            visits: dict[tuple[str, str], int] = defaultdict(int)
            for block_id, step_id, _ in result.trace:
                visits[(block_id, step_id)] += 1
            for (block_id, step_id), count in visits.items():
                step = book.blocks[block_id].steps[step_id]
                if step.when is None:
                    continue
                key = (block_id, step_id)
                if step.kind == "say":
                    times = sum(_literal(step) in text for text in shown)
                    if times:
                        seen[key].add(True)
                    if count > times:
                        seen[key].add(False)
                elif step.kind == "advise":
                    times = sum(
                        1
                        for e in new
                        if e.kind is EntryKind.ADVICE and (e.stack[-1].block, e.path[-1]) == key
                    )
                    if times:
                        seen[key].add(True)
                    if count > times:
                        seen[key].add(False)
            for e in new:
                key = (e.stack[-1].block, e.path[-1])
                logged = book.blocks[key[0]].steps.get(key[1])
                if logged is None or logged.when is None:
                    continue
                if e.kind in (EntryKind.ANSWER, EntryKind.KEPT):
                    seen[key].add(True)
                elif e.kind is EntryKind.SKIP and e.note is None:
                    seen[key].add(False)
            # Sub-flows behind a condition: entered, or skipped.
            for block_id, block in book.blocks.items():
                for step_id, step in block.steps.items():
                    if step.kind != "call" or step.when is None or step.callee is None:
                        continue
                    callee = book.flows[step.callee].block
                    if any(_entered(e, callee, step_id) for e in new):
                        seen[(block_id, step_id)].add(True)
    return seen


def test_every_condition_is_seen_true_and_false() -> None:
    book = shipped_book()
    seen = _outcomes(book)
    problems = []
    for block_id, block in book.blocks.items():
        for step_id, step in block.steps.items():
            if step.when is None:
                continue
            assert step.kind in ("say", "advise", "ask", "call"), (
                f"{block_id}: {step_id}: this test cannot cover a '{step.kind}' with 'when'"
            )
            values = seen.get((block_id, step_id), set())
            for value, word in ((True, "shown or asked"), (False, "skipped")):
                if value not in values:
                    problems.append(f"{block_id}: {step_id} is never {word} ({step.when.source})")
    assert not problems, "\n".join(problems)
