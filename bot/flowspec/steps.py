"""Compile one block's validated step models into steps of the flow graph.

Each step's conditions and texts are compiled, its ways out (``next``)
resolved to branches, and what it names checked: knowledge articles, summary
templates, the organisation's lists for ``choices_from``. A block whose steps
all compile goes through the graph checks (:mod:`bot.flowspec.checks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, TypedDict, assert_never

from bot.flowspec import graph
from bot.flowspec import model as shapes
from bot.flowspec.blocks import SourceBlock
from bot.flowspec.checks import check_graph
from bot.flowspec.errors import SourceLocation
from bot.flowspec.expressions import Condition
from bot.flowspec.graph import Block, Branch, Step
from bot.flowspec.model import FlowHeader, OrgSettings
from bot.flowspec.problems import Problems
from bot.flowspec.source import Path
from bot.questions import Choice, QuestionKind

TEMPLATE_DIR = "templates"

Call = tuple[str, SourceLocation]
"""A called flow's id and where the call stands."""
_Place = tuple[SourceBlock, Path, Mapping[str, object]]
"""Where a step stands: its block, its path in the file, the ids of its block's steps."""


@dataclass
class StepCompiler:
    """Compiles the blocks of one book; remembers every call for the book-wide checks."""

    problems: Problems
    org: OrgSettings
    templates: frozenset[str]
    articles: frozenset[str] | None
    headers: Mapping[str, tuple[FlowHeader, Any]]
    calls: dict[str, list[Call]] = field(default_factory=dict)

    def compile_block(self, source: SourceBlock) -> Block | None:
        """The compiled block, or None (and its problems)."""
        src = source.src
        order: list[str] = []
        for model, path in source.steps:
            if model.id in order:
                self.problems.add(
                    src.where((*path, "id")), f"step id '{model.id}' is used twice in this flow"
                )
                continue
            order.append(model.id)
        if not order:
            if not source.is_loop_body:
                self.problems.add(src.where(source.path), "a flow needs at least one step")
            return None

        models = source.models()
        steps: dict[str, Step] = {}
        for index, step_id in enumerate(order):
            model, path = models[step_id]
            following = order[index + 1] if index + 1 < len(order) else None
            step = self._compile_step(source, model, path, following, models)
            if step is not None:
                steps[step_id] = step
        if len(steps) != len(order):
            return None

        start = order[0]
        if not source.is_loop_body:
            header, _ = self.headers[source.flow]
            if header.start is not None:
                if header.start not in steps:
                    self.problems.add(
                        src.where(("start",)), f"start step '{header.start}' does not exist"
                    )
                    return None
                start = header.start
        if not check_graph(self.problems, source, steps, start):
            return None
        return Block(
            source.id,
            source.flow,
            MappingProxyType(steps),
            start,
            source.is_loop_body,
            MappingProxyType({}),
        )

    def _ways_out(
        self, jump: str | list[shapes.Branch] | None, following: str | None, place: _Place
    ) -> tuple[Branch, ...] | None:
        """The step's ``next`` as branches: to the step below when absent."""
        (source, path, models), problems = place, self.problems
        src = source.src
        if jump is None:
            return (Branch(None, following),) if following else ()
        if isinstance(jump, str):
            if jump not in models:
                problems.add(
                    src.where((*path, "next")),
                    f"jumps to '{jump}', but there is no step with that id",
                )
                return None
            return (Branch(None, jump),)
        branches: list[Branch] = []
        ok = True
        for i, rule in enumerate(jump):
            rule_path = (*path, "next", i)
            last = i == len(jump) - 1
            if rule.goto not in models:
                problems.add(
                    src.where((*rule_path, "goto")),
                    f"jumps to '{rule.goto}', but there is no step with that id",
                )
                ok = False
            condition = None
            if rule.when is not None:
                if last:
                    problems.add(
                        src.where((*rule_path, "when")),
                        "the last branch must have no 'when': "
                        "it is taken when no other branch holds",
                    )
                    ok = False
                condition = problems.condition(rule.when, src, (*rule_path, "when"))
                ok = ok and condition is not None
            elif not last:
                problems.add(src.where(rule_path), "only the last branch may leave out 'when'")
                ok = False
            branches.append(Branch(condition, rule.goto))
        return tuple(branches) if ok else None

    def _compile_step(
        self,
        source: SourceBlock,
        model: shapes.AnyStep,
        path: Path,
        following: str | None,
        models: Mapping[str, object],
    ) -> Step | None:
        """One step of its own kind, or None (and its problems)."""
        src, problems = source.src, self.problems
        ok = True
        help_id = None if isinstance(model, shapes.EndStep) else model.help
        if help_id and self.articles is not None and help_id not in self.articles:
            problems.add(
                src.where((*path, "help")), f"knowledge article '{help_id}' does not exist"
            )
            ok = False
        when = None
        if model.when:
            when = problems.condition(model.when, src, (*path, "when"))
            ok = ok and when is not None
        jump = None if isinstance(model, shapes.EndStep) else model.next
        branches = self._ways_out(jump, following, (source, path, models))
        if branches is None:
            return None
        common = _Common(
            id=model.id,
            location=src.where((*path, "id")),
            branches=branches,
            when=when,
            help=help_id,
        )
        step = self._of_kind(source, model, path, common)
        if step is None or not ok:
            return None
        return replace(step, reads=_reads(step))

    def _of_kind(
        self, source: SourceBlock, model: shapes.AnyStep, path: Path, common: _Common
    ) -> Step | None:
        src, problems = source.src, self.problems
        match model:
            case shapes.SayStep():
                text = problems.text(model.say, src, (*path, "say"))
                return graph.SayStep(**common, text=text) if text else None
            case shapes.AdviseStep():
                text = problems.text(model.advise, src, (*path, "advise"))
                record = problems.text(model.record, src, (*path, "record"))
                if text is None or record is None:
                    return None
                return graph.AdviseStep(**common, text=text, record=record)
            case shapes.AskStep():
                return self._ask(source, model, path, common)
            case shapes.SetStep():
                expression = problems.condition(model.set, src, (*path, "set"))
                return graph.SetStep(**common, expression=expression) if expression else None
            case shapes.CallStep():
                self.calls.setdefault(source.flow, []).append(
                    (model.call, src.where((*path, "call")))
                )
                inputs = [
                    (name, problems.condition(expr, src, (*path, "with", name)))
                    for name, expr in model.with_.items()
                ]
                compiled = tuple((name, cond) for name, cond in inputs if cond is not None)
                if len(compiled) != len(inputs):
                    return None
                return graph.CallStep(**common, callee=model.call, inputs=compiled)
            case shapes.ForeachStep():
                over = problems.condition(model.foreach, src, (*path, "foreach"))
                where = None
                if model.where:
                    where = problems.condition(model.where, src, (*path, "where"))
                    if where is None:
                        return None
                if over is None:
                    return None
                body = f"{source.id}#{model.id}"
                return graph.ForeachStep(
                    **common, over=over, loop_var=model.as_, where=where, body=body
                )
            case shapes.EndStep():
                return self._end(source, model, path, common)
        assert_never(model)

    def _end(
        self, source: SourceBlock, model: shapes.EndStep, path: Path, common: _Common
    ) -> graph.EndStep | None:
        ok = True
        if source.is_loop_body:
            self.problems.add(
                common["location"],
                "an 'end' step cannot stand inside foreach; the loop ends after its last step",
            )
            ok = False
        if model.end not in self.templates:
            self.problems.add(
                source.src.where((*path, "end")),
                f"summary template '{model.end}' not found "
                f"(expected {TEMPLATE_DIR}/{model.end}.txt.j2 and "
                f"{TEMPLATE_DIR}/{model.end}.md.j2)",
            )
            ok = False
        common["branches"] = ()
        if not ok:
            return None
        choices = tuple(model.then_choices.items())
        return graph.EndStep(**common, template=model.end, then=model.then, then_choices=choices)

    def _ask(
        self, source: SourceBlock, model: shapes.AskStep, path: Path, common: _Common
    ) -> graph.AskStep | None:
        src, problems = source.src, self.problems
        text = problems.text(model.text, src, (*path, "text"))
        choices = self._choices(source, model, path)
        if text is None or choices is None:
            return None
        return graph.AskStep(
            **common,
            question=QuestionKind(model.ask),
            text=text,
            choices=choices,
            **model.model_dump(include=_ASK_SETTINGS),
        )

    def _choices(
        self, source: SourceBlock, model: shapes.AskStep, path: Path
    ) -> tuple[Choice, ...] | None:
        """The question's choices (its own, or an organisation list), or None if wrong."""
        src, problems = source.src, self.problems
        needs_choices = model.ask in ("choice", "multi")
        choices: dict[str, str] | None = model.choices
        if model.choices_from is not None:
            if model.choices is not None:
                problems.add(
                    src.where((*path, "choices_from"), key=True),
                    "use 'choices' or 'choices_from', not both",
                )
                return None
            choices = self.org.lijsten.get(model.choices_from)
            if choices is None:
                problems.add(
                    src.where((*path, "choices_from")),
                    f"list '{model.choices_from}' is not in organisatie.yaml under 'lijsten'",
                )
                return None
        if needs_choices and not choices:
            problems.add(
                src.where((*path, "ask")),
                f"a '{model.ask}' question needs 'choices' or 'choices_from'",
            )
            return None
        if not needs_choices and choices:
            problems.add(
                src.where((*path, "choices"), key=True),
                f"a '{model.ask}' question takes no choices",
            )
            return None
        if not choices:
            return ()
        ok = True
        seen: set[str] = set()
        for key, label in choices.items():
            norm = " ".join(label.casefold().split())
            if norm.isdigit():
                problems.add(
                    src.where((*path, "choices", key)), "a choice label cannot be only a number"
                )
                ok = False
            if norm in seen:
                problems.add(
                    src.where((*path, "choices", key)), f"choice label '{label}' is used twice"
                )
                ok = False
            seen.add(norm)
        return tuple(Choice(k, v) for k, v in choices.items()) if ok else None


_ASK_SETTINGS = {"max_length", "optional", "prefer", "describes_case", "hint", "why", "example"}
"""A question's own settings, taken over as the author wrote them."""


class _Common(TypedDict):
    """The fields every kind of step has (its ``reads`` are added last)."""

    id: str
    location: SourceLocation
    branches: tuple[Branch, ...]
    when: Condition | None
    help: str | None


def _reads(step: Step) -> frozenset[str]:
    """Every name the step's expressions read."""
    return frozenset(name for _, expression in step.expressions() for name in expression.reads)
