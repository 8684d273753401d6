"""Read before set: no step may read a variable that some path to it has not set.

Names flow forward through a block: a step sees its block's inputs (a called
flow's ``with:``, a loop body's item and the names set before the
``foreach``) and the names set on *every* path to it. Outer blocks are
checked before their loop bodies, so a body starts with what its ``foreach``
step sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.flowspec.blocks import SourceBlock
from bot.flowspec.checks import predecessors, topological
from bot.flowspec.expressions import GLOBAL_NAMES
from bot.flowspec.graph import Block, EndStep, ForeachStep, SayStep, Step
from bot.flowspec.model import FlowHeader
from bot.flowspec.problems import Problems
from bot.flowspec.source import Located, Path


def check_book_reads(
    problems: Problems,
    compiled: Mapping[str, Block],
    sources: Mapping[str, SourceBlock],
    headers: Mapping[str, tuple[FlowHeader, Located]],
) -> None:
    """Check every block, outer blocks before their loop bodies."""
    surely_set: dict[str, dict[str, frozenset[str]]] = {}
    for block_id in sorted(compiled, key=lambda b: b.count("#")):
        source = sources[block_id]
        if source.outer is None:
            initial = frozenset(headers[source.flow][0].inputs)
        else:
            outer = surely_set.get(source.outer.id, {})
            initial = outer.get(source.outer_step or "", frozenset()) | {
                source.loop_var or "",
                f"{source.loop_var}_label",
            }
        surely_set[block_id] = check_reads(problems, source, compiled[block_id], initial)


def check_reads(
    problems: Problems, source: SourceBlock, block: Block, initial: frozenset[str]
) -> dict[str, frozenset[str]]:
    """Report reads before every path has set the name; return, per step, the names
    that are surely set when the step runs."""
    steps = block.steps
    order = topological(block)
    callers = predecessors(steps)
    surely_set: dict[str, frozenset[str]] = {}
    for step_id in order:
        if step_id == block.start:
            names = initial
        else:
            names = frozenset()
            first = True
            for caller in callers[step_id]:
                if caller in surely_set:
                    after = surely_set[caller] | defines(steps[caller])
                    names = after if first else names & after
                    first = False
        surely_set[step_id] = names
    models = source.models()
    for step_id in order:
        _, path = models[step_id]
        visible = surely_set[step_id] | GLOBAL_NAMES
        _report_reads(problems, source.src, path, steps[step_id], visible)
    return surely_set


def defines(step: Step) -> frozenset[str]:
    """The name a step sets (its id), if it sets one."""
    if isinstance(step, SayStep | EndStep):
        return frozenset()
    return frozenset({step.id})


def _report_reads(
    problems: Problems, src: Located, path: Path, step: Step, visible: frozenset[str]
) -> None:
    parts: list[tuple[Iterable[str], Path]] = []
    for key, expression in step.expressions():
        read = set(expression.reads)
        if isinstance(step, ForeachStep) and key == ("where",):
            read -= {step.loop_var, f"{step.loop_var}_label"}  # the item is set there
        parts.append((read, (*path, *key)))
    after = visible | defines(step)
    for i, branch in enumerate(step.branches):
        if branch.condition is not None:
            unset = [r for r in branch.condition.reads if r not in after]
            parts.append((unset, (*path, "next", i, "when")))
    for names, at in parts:
        for name in sorted(set(names) - visible):
            problems.add(src.where(at), f"reads '{name}' before every path to this step has set it")
