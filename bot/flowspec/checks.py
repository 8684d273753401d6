"""Graph checks: a block's steps are reachable, can end, and run forward; calls do not loop.

Flows run forward (``foreach`` repeats), so a jump back is an error, and every
step must be reachable from the start and have a way to an end. Long flows
are walked with explicit stacks: a flow of thousands of steps must not reach
Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.flowspec.blocks import SourceBlock
from bot.flowspec.errors import SourceLocation
from bot.flowspec.graph import Block, Step
from bot.flowspec.model import EndStep
from bot.flowspec.problems import Problems

_ON_PATH, _DONE = 1, 2


def check_graph(
    problems: Problems, source: SourceBlock, steps: Mapping[str, Step], start: str
) -> bool:
    """Report unreachable steps, dead ends and loops in one block; True if it is sound."""
    reached = _reachable(steps, start)
    ok = True
    for step_id, step in steps.items():
        if step_id not in reached:
            problems.add(step.location, f"step '{step_id}' can never be reached")
            ok = False
    exits = {
        step_id
        for step_id, step in steps.items()
        if step.kind == "end" or (source.is_loop_body and not step.branches)
    }
    for step in steps.values():
        if not step.branches and step.kind != "end" and not source.is_loop_body:
            problems.add(
                step.location,
                "the flow stops here without an 'end' step: add 'next:' or an end step after it",
            )
            ok = False
    can_end = _reaching(steps, exits)
    for step_id, step in steps.items():
        if step_id in reached and step_id not in can_end and step.branches:
            problems.add(step.location, f"no end can be reached from step '{step_id}'")
            ok = False
    return ok and _no_loops(problems, source, steps, start)


def _reachable(steps: Mapping[str, Step], start: str) -> set[str]:
    reached = {start}
    todo = [start]
    while todo:
        for branch in steps[todo.pop()].branches:
            if branch.target not in reached:
                reached.add(branch.target)
                todo.append(branch.target)
    return reached


def _reaching(steps: Mapping[str, Step], exits: set[str]) -> set[str]:
    """The steps with a way to one of ``exits``: backwards from them, in one pass."""
    callers = predecessors(steps)
    found = set(exits)
    todo = list(exits)
    while todo:
        for step_id in callers[todo.pop()]:
            if step_id not in found:
                found.add(step_id)
                todo.append(step_id)
    return found


def _no_loops(
    problems: Problems, source: SourceBlock, steps: Mapping[str, Step], start: str
) -> bool:
    """No jump back onto the current path: a depth-first walk, (step, next branch) a level."""
    state: dict[str, int] = {start: _ON_PATH}
    path = [(start, 0)]
    models = source.models()
    while path:
        step_id, index = path[-1]
        branches = steps[step_id].branches
        if index == len(branches):
            state[step_id] = _DONE
            path.pop()
            continue
        path[-1] = (step_id, index + 1)
        target = branches[index].target
        if state.get(target) == _ON_PATH:
            model, model_path = models[step_id]
            jump = None if isinstance(model, EndStep) else model.next
            at = (
                (*model_path, "next", index, "goto")
                if isinstance(jump, list)
                else (*model_path, "next")
            )
            problems.add(
                source.src.where(at),
                f"jumping to '{target}' makes a loop; flows run forward "
                "(use 'foreach' to repeat questions)",
            )
            return False
        if target not in state:
            state[target] = _ON_PATH
            path.append((target, 0))
    return True


def predecessors(steps: Mapping[str, Step]) -> dict[str, list[str]]:
    """For each step, the steps with a branch to it (each once, in step order)."""
    callers: dict[str, list[str]] = {step_id: [] for step_id in steps}
    for step_id, step in steps.items():
        for target in dict.fromkeys(branch.target for branch in step.branches):
            callers.setdefault(target, []).append(step_id)
    return callers


def topological(block: Block) -> list[str]:
    """The steps reachable from the start, each before every step it leads to."""
    order: list[str] = []
    seen = {block.start}
    stack = [(block.start, iter(block.steps[block.start].branches))]
    while stack:
        step_id, branches = stack[-1]
        for branch in branches:
            if branch.target not in seen:
                seen.add(branch.target)
                stack.append((branch.target, iter(block.steps[branch.target].branches)))
                break
        else:
            order.append(step_id)
            stack.pop()
    order.reverse()
    return order


def check_call_cycles(
    problems: Problems, calls: Mapping[str, list[tuple[str, SourceLocation]]]
) -> None:
    """A flow may not call itself, directly or through other flows."""
    state: dict[str, int] = {}

    def visit(flow: str) -> None:
        state[flow] = _ON_PATH
        for callee, where in calls.get(flow, []):
            if state.get(callee) == _ON_PATH:
                what = "calls itself" if callee == flow else f"calls '{callee}', which calls back"
                problems.add(where, f"flow '{flow}' {what}: sub-flows cannot loop")
            elif callee not in state:
                visit(callee)
        state[flow] = _DONE

    for flow in list(calls):
        if flow not in state:
            visit(flow)
