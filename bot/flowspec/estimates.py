"""How many questions are still to come from each step, for the progress hint.

A typical path takes every branch equally often, meets a question with a
``when`` half of the time and a ``foreach`` with :data:`LOOP_GUESS` items.
(Taking the worst case everywhere would frighten: 45 questions where a user
meets 20.) Called flows and loop bodies are estimated before the blocks that
use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from bot.flowspec.checks import topological
from bot.flowspec.graph import AskStep, Block, CallStep, Estimate, ForeachStep

LOOP_GUESS = 1.5
"""Items a ``foreach`` is taken to have on a typical path."""


def with_estimates(compiled: Mapping[str, Block]) -> dict[str, Block]:
    """Every block with its estimates, callees and loop bodies first."""
    done: dict[str, Block] = {}
    for block_id in _callees_first(compiled):
        done[block_id] = replace(compiled[block_id], estimate=_estimate(compiled[block_id], done))
    return done


def _estimate(block: Block, done: Mapping[str, Block]) -> MappingProxyType[str, Estimate]:
    estimate: dict[str, Estimate] = {}
    for step_id in reversed(topological(block)):
        step = block.steps[step_id]
        chance = 0.5 if step.when is not None else 1.0
        own = 0.0
        if isinstance(step, AskStep):
            own = chance
        elif isinstance(step, CallStep) and step.callee in done:
            callee = done[step.callee]
            own = chance * callee.estimate[callee.start]
        elif isinstance(step, ForeachStep) and step.body in done:
            body = done[step.body]
            own = chance * LOOP_GUESS * body.estimate[body.start]
        after = [estimate[b.target] for b in step.branches if b.target in estimate]
        estimate[step_id] = own + (sum(after) / len(after) if after else 0.0)
    return MappingProxyType(estimate)


def _callees_first(compiled: Mapping[str, Block]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(block_id: str) -> None:
        if block_id in seen:
            return
        seen.add(block_id)
        for step in compiled[block_id].steps.values():
            if isinstance(step, CallStep) and step.callee in compiled:
                visit(step.callee)
            if isinstance(step, ForeachStep) and step.body in compiled:
                visit(step.body)
        order.append(block_id)

    for block_id in compiled:
        visit(block_id)
    return order
