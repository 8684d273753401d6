"""From a flow file's YAML to source blocks: validated step models with their places.

A block is a list of steps with one entry: a flow's own steps, or the body of
one of its ``foreach`` steps (a block of its own, ``flow#step``). Here each
step's shape is checked against its pydantic model (one kind per step), and
the foreach bodies are collected, so the step compiler
(:mod:`bot.flowspec.steps`) sees only well-formed models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError

from bot.flowspec.errors import SourceLocation
from bot.flowspec.model import STEP_KINDS, STEP_MODELS, AnyStep, FlowHeader, ForeachStep
from bot.flowspec.problems import Problems
from bot.flowspec.source import (
    Located,
    Path,
    YamlSyntaxError,
    read_yaml,
    validation_problems,
)


@dataclass
class SourceBlock:
    """A block before it is compiled: its validated step models with their source paths."""

    id: str
    flow: str
    src: Located
    path: Path
    steps: list[tuple[AnyStep, Path]]
    is_loop_body: bool
    loop_var: str | None = None
    outer: SourceBlock | None = None
    outer_step: str | None = None

    def models(self) -> dict[str, tuple[AnyStep, Path]]:
        """Each step's model and path by id (the first, if an id is used twice)."""
        out: dict[str, tuple[AnyStep, Path]] = {}
        for model, path in self.steps:
            out.setdefault(model.id, (model, path))
        return out


def read_flow(
    problems: Problems, name: str, display: str, text: str
) -> tuple[FlowHeader, Located] | None:
    """A flow file's header and located data, or None (and its problems)."""
    try:
        src = read_yaml(display, text)
    except YamlSyntaxError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(src.data, dict):
        problems.add(
            SourceLocation(display, 1, 1),
            "a flow file must be a mapping with id, version, title and steps",
        )
        return None
    try:
        header = FlowHeader.model_validate(src.data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, src))
        return None
    stem = name.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml")
    if header.id != stem:
        problems.add(src.where(("id",)), f"flow id '{header.id}' must match the file name '{stem}'")
    return header, src


def flow_blocks(problems: Problems, header: FlowHeader, src: Located) -> list[SourceBlock]:
    """The flow's own block and, after it, the body of every ``foreach`` in it."""
    steps = validate_steps(problems, src, header.steps, ("steps",))
    top = SourceBlock(header.id, header.id, src, ("steps",), steps, is_loop_body=False)
    blocks: list[SourceBlock] = []
    todo = [top]
    while todo:
        block = todo.pop(0)
        blocks.append(block)
        todo[:0] = _loop_bodies(problems, block)
    return blocks


def _loop_bodies(problems: Problems, block: SourceBlock) -> list[SourceBlock]:
    bodies = []
    for model, path in block.steps:
        if not isinstance(model, ForeachStep):
            continue
        body_path = (*path, "steps")
        body_steps = validate_steps(problems, block.src, model.steps, body_path)
        if not body_steps and not model.steps:
            problems.add(block.src.where(body_path), "foreach needs at least one step")
        bodies.append(
            SourceBlock(
                f"{block.id}#{model.id}",
                block.flow,
                block.src,
                body_path,
                body_steps,
                is_loop_body=True,
                loop_var=model.as_,
                outer=block,
                outer_step=model.id,
            )
        )
    return bodies


def validate_steps(
    problems: Problems, src: Located, raw_steps: list[Any], base: Path
) -> list[tuple[AnyStep, Path]]:
    """Each raw step checked against the model of its one kind; the rest reported."""
    out: list[tuple[AnyStep, Path]] = []
    for i, raw in enumerate(raw_steps):
        path = (*base, i)
        if not isinstance(raw, Mapping):
            problems.add(src.where(path), "a step must be a mapping with an 'id' and a kind")
            continue
        kinds = [k for k in STEP_KINDS if k in raw]
        if not kinds:
            keys = ", ".join(sorted(str(k) for k in raw if k not in ("id", "when", "next", "help")))
            problems.add(
                src.where(path),
                "unknown step kind"
                + (f" (found: {keys})" if keys else "")
                + "; a step needs one of: "
                + ", ".join(STEP_KINDS),
            )
            continue
        if len(kinds) > 1:
            problems.add(
                src.where((*path, kinds[1]), key=True),
                f"a step has one kind, but this one has both '{kinds[0]}' and '{kinds[1]}'",
            )
            continue
        try:
            model = cast("AnyStep", STEP_MODELS[kinds[0]].model_validate(raw))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, src, path))
            continue
        out.append((model, path))
    return out
