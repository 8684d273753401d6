"""Phase two of validation: from checked shapes to a compiled, sound flow graph.

Every rule reports *all* its problems with a location, so an author fixes a
flow in one round: unknown step kinds, duplicate ids, jumps to nowhere,
unreachable steps, steps from which no end can be reached, loops, conditions
that do not compile, variables read before every path has set them, missing
templates or knowledge articles, and sub-flows that do not exist or call
themselves in a loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar, cast

from jinja2 import TemplateSyntaxError
from pydantic import ValidationError

from bot.flowspec.errors import FlowLoadError, FlowProblem, SourceLocation
from bot.flowspec.expressions import (
    GLOBAL_NAMES,
    Condition,
    ExpressionError,
    Text,
    compile_condition,
    compile_text,
    org_texts_read,
    parse_template,
)
from bot.flowspec.graph import Block, Branch, Estimate, Flow, FlowBook, Step, StepKind
from bot.flowspec.model import (
    STEP_KINDS,
    STEP_MODELS,
    AdviseStep,
    AskStep,
    CallStep,
    EndStep,
    FlowHeader,
    ForeachStep,
    OrgSettings,
    SayStep,
    SetStep,
)
from bot.flowspec.source import Located, Path, YamlSyntaxError, read_yaml, validation_problems
from bot.questions import Choice, QuestionKind

ORG_FILE = "organisatie.yaml"
TEMPLATE_DIR = "templates"
TEMPLATE_SUFFIXES = (".txt.j2", ".md.j2")


def book_hash(sources: Mapping[str, str]) -> str:
    """A content hash over every source file of a book (names and texts)."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(sources[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


_Compiled = TypeVar("_Compiled", Condition, Text)


@dataclass
class _Ctx:
    """Collects problems while compiling one book."""

    problems: list[FlowProblem] = field(default_factory=list)
    org_texts: frozenset[str] = frozenset()

    def add(self, where: SourceLocation, message: str) -> None:
        self.problems.append(FlowProblem(where, message))

    def condition(self, source: str, src: Located, path: Path) -> Condition | None:
        return self._compiled(compile_condition, source, src, path, expression=True)

    def text(self, source: str, src: Located, path: Path) -> Text | None:
        return self._compiled(compile_text, source, src, path, expression=False)

    def _compiled(
        self,
        compile_: Callable[[str], _Compiled],
        source: str,
        src: Located,
        path: Path,
        *,
        expression: bool,
    ) -> _Compiled | None:
        try:
            compiled = compile_(source)
        except ExpressionError as exc:
            self.add(_shift(src.where(path), exc.line), str(exc))
            return None
        self._check_org_texts(source, src, path, expression=expression)
        return compiled

    def _check_org_texts(self, source: str, src: Located, path: Path, *, expression: bool) -> None:
        """An organisation text a flow reads must exist, or the user would see nothing."""
        for name in sorted(org_texts_read(source, expression=expression) - self.org_texts):
            self.add(
                src.where(path),
                f"organisatie.yaml has no text '{name}' under 'teksten'",
            )


def _shift(where: SourceLocation, line: int) -> SourceLocation:
    if line <= 1:
        return where
    return SourceLocation(where.path, where.line + line - 1, 1)


@dataclass
class _RawBlock:
    """A block before graph checks: validated step models with their source paths."""

    id: str
    flow: str
    src: Located
    path: Path
    steps: list[tuple[Any, Path]]
    is_loop_body: bool
    loop_var: str | None = None
    outer: _RawBlock | None = None
    outer_step: str | None = None


def _validate_steps(
    ctx: _Ctx, src: Located, raw_steps: list[Any], base: Path
) -> list[tuple[Any, Path]]:
    out: list[tuple[Any, Path]] = []
    for i, raw in enumerate(raw_steps):
        path = (*base, i)
        if not isinstance(raw, dict):
            ctx.add(src.where(path), "a step must be a mapping with an 'id' and a kind")
            continue
        kinds = [k for k in STEP_KINDS if k in raw]
        if not kinds:
            keys = ", ".join(sorted(str(k) for k in raw if k not in ("id", "when", "next", "help")))
            ctx.add(
                src.where(path),
                "unknown step kind"
                + (f" (found: {keys})" if keys else "")
                + "; a step needs one of: "
                + ", ".join(STEP_KINDS),
            )
            continue
        if len(kinds) > 1:
            ctx.add(
                src.where((*path, kinds[1]), key=True),
                f"a step has one kind, but this one has both '{kinds[0]}' and '{kinds[1]}'",
            )
            continue
        model = STEP_MODELS[kinds[0]]
        try:
            out.append((model.model_validate(raw), path))
        except ValidationError as exc:
            ctx.problems.extend(validation_problems(exc, src, path))
    return out


def _parse_flow(ctx: _Ctx, name: str, display: str, text: str) -> tuple[FlowHeader, Located] | None:
    try:
        src = read_yaml(display, text)
    except YamlSyntaxError as exc:
        ctx.problems.extend(exc.problems)
        return None
    if not isinstance(src.data, dict):
        ctx.add(
            SourceLocation(display, 1, 1),
            "a flow file must be a mapping with id, version, title and steps",
        )
        return None
    try:
        header = FlowHeader.model_validate(src.data)
    except ValidationError as exc:
        ctx.problems.extend(validation_problems(exc, src, ()))
        return None
    stem = name.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml")
    if header.id != stem:
        ctx.add(src.where(("id",)), f"flow id '{header.id}' must match the file name '{stem}'")
    return header, src


class _Compiler:
    def __init__(
        self,
        ctx: _Ctx,
        org: OrgSettings,
        templates: frozenset[str],
        articles: frozenset[str] | None,
    ) -> None:
        self.ctx = ctx
        self.org = org
        self.templates = templates
        self.articles = articles
        self.flows: dict[str, Flow] = {}
        self.headers: dict[str, tuple[FlowHeader, Located]] = {}
        self.raw_blocks: dict[str, _RawBlock] = {}
        self.blocks: dict[str, Block] = {}
        self.calls: dict[str, list[tuple[str, SourceLocation]]] = {}

    # ------------------------------------------------------------ blocks

    def collect(self, header: FlowHeader, src: Located) -> None:
        steps = _validate_steps(self.ctx, src, header.steps, ("steps",))
        block = _RawBlock(header.id, header.id, src, ("steps",), steps, is_loop_body=False)
        self._collect_block(block)

    def _collect_block(self, block: _RawBlock) -> None:
        self.raw_blocks[block.id] = block
        for model, path in block.steps:
            if isinstance(model, ForeachStep):
                body_steps = _validate_steps(self.ctx, block.src, model.steps, (*path, "steps"))
                body = _RawBlock(
                    f"{block.id}#{model.id}",
                    block.flow,
                    block.src,
                    (*path, "steps"),
                    body_steps,
                    is_loop_body=True,
                    loop_var=model.as_,
                    outer=block,
                    outer_step=model.id,
                )
                if not body_steps and not model.steps:
                    self.ctx.add(
                        block.src.where((*path, "steps")), "foreach needs at least one step"
                    )
                self._collect_block(body)

    def compile_block(self, raw: _RawBlock) -> Block | None:
        src, ctx = raw.src, self.ctx
        ids: dict[str, int] = {}
        order: list[str] = []
        models: dict[str, tuple[Any, Path]] = {}
        for model, path in raw.steps:
            if model.id in ids:
                ctx.add(
                    src.where((*path, "id")), f"step id '{model.id}' is used twice in this flow"
                )
                continue
            ids[model.id] = len(order)
            order.append(model.id)
            models[model.id] = (model, path)
        if not order:
            if not raw.is_loop_body:
                ctx.add(src.where(raw.path), "a flow needs at least one step")
            return None

        steps: dict[str, Step] = {}
        for idx, sid in enumerate(order):
            model, path = models[sid]
            following = order[idx + 1] if idx + 1 < len(order) else None
            step = self._compile_step(raw, model, path, following, models)
            if step is not None:
                steps[sid] = step
        if len(steps) != len(order):
            return None

        start = order[0]
        if not raw.is_loop_body:
            header, _ = self.headers[raw.flow]
            if header.start is not None:
                if header.start not in steps:
                    ctx.add(src.where(("start",)), f"start step '{header.start}' does not exist")
                    return None
                start = header.start
        if not self._check_graph(raw, steps, models, start):
            return None
        return Block(
            raw.id,
            raw.flow,
            MappingProxyType(steps),
            start,
            raw.is_loop_body,
            MappingProxyType({}),
        )

    def _branches(
        self,
        raw: _RawBlock,
        model: Any,
        path: Path,
        following: str | None,
        models: Mapping[str, tuple[Any, Path]],
    ) -> tuple[Branch, ...] | None:
        src, ctx = raw.src, self.ctx
        nxt = getattr(model, "next", None)
        if nxt is None:
            return (Branch(None, following),) if following else ()
        if isinstance(nxt, str):
            if nxt not in models:
                ctx.add(
                    src.where((*path, "next")),
                    f"jumps to '{nxt}', but there is no step with that id",
                )
                return None
            return (Branch(None, nxt),)
        out: list[Branch] = []
        ok = True
        for i, br in enumerate(nxt):
            bpath = (*path, "next", i)
            last = i == len(nxt) - 1
            if br.goto not in models:
                ctx.add(
                    src.where((*bpath, "goto")),
                    f"jumps to '{br.goto}', but there is no step with that id",
                )
                ok = False
            cond = None
            if br.when is not None:
                if last:
                    ctx.add(
                        src.where((*bpath, "when")),
                        "the last branch must have no 'when': "
                        "it is taken when no other branch holds",
                    )
                    ok = False
                cond = ctx.condition(br.when, src, (*bpath, "when"))
                ok = ok and cond is not None
            elif not last:
                ctx.add(src.where(bpath), "only the last branch may leave out 'when'")
                ok = False
            out.append(Branch(cond, br.goto))
        return tuple(out) if ok else None

    def _compile_step(
        self,
        raw: _RawBlock,
        model: Any,
        path: Path,
        following: str | None,
        models: Mapping[str, tuple[Any, Path]],
    ) -> Step | None:
        src, ctx = raw.src, self.ctx
        where = src.where((*path, "id"))
        ok = True
        help_id = getattr(model, "help", None)
        if help_id and self.articles is not None and help_id not in self.articles:
            ctx.add(src.where((*path, "help")), f"knowledge article '{help_id}' does not exist")
            ok = False
        when = None
        if getattr(model, "when", None):
            when = ctx.condition(model.when, src, (*path, "when"))
            ok = ok and when is not None
        branches = self._branches(raw, model, path, following, models)
        if branches is None:
            return None
        common: dict[str, Any] = {
            "id": model.id,
            "location": where,
            "branches": branches,
            "when": when,
            "help": help_id,
        }
        kind: StepKind
        if isinstance(model, SayStep):
            kind = "say"
            common["text"] = ctx.text(model.say, src, (*path, "say"))
            ok = ok and common["text"] is not None
        elif isinstance(model, AdviseStep):
            kind = "advise"
            common["text"] = ctx.text(model.advise, src, (*path, "advise"))
            common["record"] = ctx.text(model.record, src, (*path, "record"))
            ok = ok and common["text"] is not None and common["record"] is not None
        elif isinstance(model, AskStep):
            kind = "ask"
            ok = self._ask(raw, model, path, common) and ok
        elif isinstance(model, SetStep):
            kind = "set"
            common["expression"] = ctx.condition(model.set, src, (*path, "set"))
            ok = ok and common["expression"] is not None
        elif isinstance(model, CallStep):
            kind = "call"
            common["callee"] = model.call
            inputs = []
            for name, expr in model.with_.items():
                cond = ctx.condition(expr, src, (*path, "with", name))
                if cond is None:
                    ok = False
                else:
                    inputs.append((name, cond))
            common["inputs"] = tuple(inputs)
            self.calls.setdefault(raw.flow, []).append((model.call, src.where((*path, "call"))))
        elif isinstance(model, ForeachStep):
            kind = "foreach"
            common["over"] = ctx.condition(model.foreach, src, (*path, "foreach"))
            common["loop_var"] = model.as_
            if model.where:
                common["where"] = ctx.condition(model.where, src, (*path, "where"))
                ok = ok and common["where"] is not None
            common["body"] = f"{raw.id}#{model.id}"
            ok = ok and common["over"] is not None
        elif isinstance(model, EndStep):
            kind = "end"
            common["branches"] = ()
            if raw.is_loop_body:
                ctx.add(
                    where,
                    "an 'end' step cannot stand inside foreach; the loop ends after its last step",
                )
                ok = False
            if model.end not in self.templates:
                ctx.add(
                    src.where((*path, "end")),
                    f"summary template '{model.end}' not found "
                    f"(expected {TEMPLATE_DIR}/{model.end}.txt.j2 and "
                    f"{TEMPLATE_DIR}/{model.end}.md.j2)",
                )
                ok = False
            common["template"] = model.end
        else:  # pragma: no cover - the model union is closed
            return None
        if not ok:
            return None
        reads: set[str] = set()
        for key in ("when", "text", "record", "expression", "over", "where"):
            part = common.get(key)
            if part is not None:
                reads |= part.reads
        for _, cond in common.get("inputs", ()):
            reads |= cond.reads
        common["reads"] = frozenset(reads)
        return Step(kind=kind, **common)

    def _ask(self, raw: _RawBlock, model: AskStep, path: Path, common: dict[str, Any]) -> bool:
        src, ctx = raw.src, self.ctx
        ok = True
        common["question"] = QuestionKind(model.ask)
        text = ctx.text(model.text, src, (*path, "text"))
        common["text"] = text
        ok = text is not None
        common.update(
            max_length=model.max_length,
            optional=model.optional,
            prefer=model.prefer,
            describes_case=model.describes_case,
            hint=model.hint,
            why=model.why,
            example=model.example,
        )
        needs_choices = model.ask in ("choice", "multi")
        choices: dict[str, str] | None = model.choices
        if model.choices_from is not None:
            if model.choices is not None:
                ctx.add(
                    src.where((*path, "choices_from"), key=True),
                    "use 'choices' or 'choices_from', not both",
                )
                return False
            choices = self.org.lijsten.get(model.choices_from)
            if choices is None:
                ctx.add(
                    src.where((*path, "choices_from")),
                    f"list '{model.choices_from}' is not in organisatie.yaml under 'lijsten'",
                )
                return False
        if needs_choices and not choices:
            ctx.add(
                src.where((*path, "ask")),
                f"a '{model.ask}' question needs 'choices' or 'choices_from'",
            )
            return False
        if not needs_choices and choices:
            ctx.add(
                src.where((*path, "choices"), key=True),
                f"a '{model.ask}' question takes no choices",
            )
            return False
        if choices:
            seen: dict[str, str] = {}
            for key, label in choices.items():
                norm = " ".join(label.casefold().split())
                if norm.isdigit():
                    ctx.add(
                        src.where((*path, "choices", key)), "a choice label cannot be only a number"
                    )
                    ok = False
                if norm in seen:
                    ctx.add(
                        src.where((*path, "choices", key)), f"choice label '{label}' is used twice"
                    )
                    ok = False
                seen[norm] = key
            common["choices"] = tuple(Choice(k, v) for k, v in choices.items())
        return ok

    # ------------------------------------------------------------ graph checks

    def _check_graph(
        self,
        raw: _RawBlock,
        steps: Mapping[str, Step],
        models: Mapping[str, tuple[Any, Path]],
        start: str,
    ) -> bool:
        src, ctx = raw.src, self.ctx
        ok = True
        # Reachable from the start.
        seen = {start}
        todo = [start]
        while todo:
            for br in steps[todo.pop()].branches:
                if br.target not in seen:
                    seen.add(br.target)
                    todo.append(br.target)
        for sid, step in steps.items():
            if sid not in seen:
                ctx.add(step.location, f"step '{sid}' can never be reached")
                ok = False
        # Every step can reach an exit.
        exits = {
            sid
            for sid, s in steps.items()
            if s.kind == "end" or (raw.is_loop_body and not s.branches)
        }
        for s in steps.values():
            if not s.branches and s.kind != "end" and not raw.is_loop_body:
                ctx.add(
                    s.location,
                    "the flow stops here without an 'end' step: "
                    "add 'next:' or an end step after it",
                )
                ok = False
        # Walk backwards from the exits (one pass, however long the flow).
        callers = _predecessors(steps)
        can_end = set(exits)
        todo = list(exits)
        while todo:
            for sid in callers[todo.pop()]:
                if sid not in can_end:
                    can_end.add(sid)
                    todo.append(sid)
        for sid, s in steps.items():
            if sid in seen and sid not in can_end and s.branches:
                ctx.add(s.location, f"no end can be reached from step '{sid}'")
                ok = False
        if not ok:
            return False
        # No loops: flows run forward; foreach repeats. A depth-first walk with
        # its own stack (a long flow is deeper than Python's recursion limit):
        # 1 = on the current path, 2 = done; (step, next branch) per level.
        state: dict[str, int] = {start: 1}
        path_stack = [(start, 0)]
        while path_stack:
            sid, i = path_stack[-1]
            branches = steps[sid].branches
            if i == len(branches):
                state[sid] = 2
                path_stack.pop()
                continue
            path_stack[-1] = (sid, i + 1)
            target = branches[i].target
            if state.get(target) == 1:
                model, path = models[sid]
                nxt = model.next
                at = (*path, "next", i, "goto") if isinstance(nxt, list) else (*path, "next")
                ctx.add(
                    src.where(at),
                    f"jumping to '{target}' makes a loop; flows run forward "
                    "(use 'foreach' to repeat questions)",
                )
                return False
            if target not in state:
                state[target] = 1
                path_stack.append((target, 0))
        return True

    def check_reads(
        self, raw: _RawBlock, block: Block, initial: frozenset[str]
    ) -> dict[str, frozenset[str]]:
        """Check no step reads a variable before every path to it has set it.

        Returns, per step, the names that are surely set when the step runs.
        """
        steps = block.steps
        order = _topological(block)
        callers = _predecessors(steps)
        avail: dict[str, frozenset[str]] = {}
        for sid in order:
            if sid == block.start:
                cur = initial
            else:
                cur = frozenset()
                first = True
                for pid in callers[sid]:
                    if pid in avail:
                        out = avail[pid] | _defines(steps[pid])
                        cur = out if first else cur & out
                        first = False
            avail[sid] = cur
        models = {m.id: (m, p) for m, p in raw.steps}
        for sid in order:
            step = steps[sid]
            model, path = models[sid]
            here = avail[sid] | GLOBAL_NAMES
            self._report_reads(raw.src, path, model, step, here)
        return avail

    def _report_reads(
        self, src: Located, path: Path, model: Any, step: Step, here: frozenset[str]
    ) -> None:
        parts: list[tuple[Iterable[str], Path]] = []
        if step.when is not None:
            parts.append((step.when.reads, (*path, "when")))
        if step.text is not None:
            key = {"say": "say", "advise": "advise"}.get(step.kind, "text")
            parts.append((step.text.reads, (*path, key)))
        if step.record is not None:
            parts.append((step.record.reads, (*path, "record")))
        if step.expression is not None:
            parts.append((step.expression.reads, (*path, "set")))
        if step.over is not None:
            parts.append((step.over.reads, (*path, "foreach")))
        if step.where is not None and step.loop_var:
            parts.append(
                (
                    set(step.where.reads) - {step.loop_var, f"{step.loop_var}_label"},
                    (*path, "where"),
                )
            )
        for name, cond in step.inputs:
            parts.append((cond.reads, (*path, "with", name)))
        after = here | _defines(step)
        for i, br in enumerate(step.branches):
            if br.condition is not None:
                parts.append(
                    ([r for r in br.condition.reads if r not in after], (*path, "next", i, "when"))
                )
        for names, at in parts:
            for name in sorted(set(names) - here):
                self.ctx.add(
                    src.where(at),
                    f"reads '{name}' before every path to this step has set it",
                )

    # ------------------------------------------------------------ estimates

    def estimates(self, block: Block, loop_guess: float = 1.5) -> MappingProxyType[str, Estimate]:
        """Questions still to come from each step, on a typical path.

        A typical path takes every branch equally often, meets a question with a
        ``when`` half of the time and a ``foreach`` with ``loop_guess`` items.
        (Taking the worst case everywhere would frighten: 45 questions where a
        user meets 20.)
        """
        est: dict[str, Estimate] = {}
        for sid in reversed(_topological(block)):
            step = block.steps[sid]
            chance = 0.5 if step.when is not None else 1.0
            own = 0.0
            if step.kind == "ask":
                own = chance
            elif step.kind == "call" and step.callee in self.flows:
                callee = self.blocks[self.flows[step.callee].block]
                own = chance * callee.estimate[callee.start]
            elif step.kind == "foreach" and step.body in self.blocks:
                body = self.blocks[step.body]
                own = chance * loop_guess * body.estimate[body.start]
            nexts = [est[b.target] for b in step.branches if b.target in est]
            est[sid] = own + (sum(nexts) / len(nexts) if nexts else 0.0)
        return MappingProxyType(est)


def _defines(step: Step) -> frozenset[str]:
    if step.kind in ("ask", "set", "call", "foreach", "advise"):
        return frozenset({step.id})
    return frozenset()


def _predecessors(steps: Mapping[str, Step]) -> dict[str, list[str]]:
    """For each step, the steps with a branch to it (each once, in step order)."""
    callers: dict[str, list[str]] = {sid: [] for sid in steps}
    for sid, step in steps.items():
        for target in dict.fromkeys(br.target for br in step.branches):
            callers.setdefault(target, []).append(sid)
    return callers


def _topological(block: Block) -> list[str]:
    """The steps reachable from the start, each before every step it leads to.

    A depth-first walk with its own stack, so a flow of thousands of steps does
    not reach Python's recursion limit.
    """
    order: list[str] = []
    seen = {block.start}
    stack = [(block.start, iter(block.steps[block.start].branches))]
    while stack:
        sid, branches = stack[-1]
        for br in branches:
            if br.target not in seen:
                seen.add(br.target)
                stack.append((br.target, iter(block.steps[br.target].branches)))
                break
        else:
            order.append(sid)
            stack.pop()
    order.reverse()
    return order


def _call_cycles(calls: Mapping[str, list[tuple[str, SourceLocation]]], ctx: _Ctx) -> bool:
    state: dict[str, int] = {}
    ok = True

    def visit(flow: str) -> None:
        nonlocal ok
        state[flow] = 1
        for callee, where in calls.get(flow, []):
            if state.get(callee) == 1:
                what = "calls itself" if callee == flow else f"calls '{callee}', which calls back"
                ctx.add(where, f"flow '{flow}' {what}: sub-flows cannot loop")
                ok = False
            elif callee not in state:
                visit(callee)
        state[flow] = 2

    for flow in list(calls):
        if flow not in state:
            visit(flow)
    return ok


def _templates(ctx: _Ctx, sources: Mapping[str, str], display: str) -> frozenset[str]:
    names: dict[str, set[str]] = {}
    for name, text in sources.items():
        if not name.startswith(f"{TEMPLATE_DIR}/"):
            continue
        base = name[len(TEMPLATE_DIR) + 1 :]
        try:  # every template, shared parts (``_*.j2``) included
            parse_template(text)
        except TemplateSyntaxError as exc:
            ctx.add(
                SourceLocation(_join(display, name), exc.lineno or 1, 1),
                f"template syntax error: {exc.message}",
            )
        for suffix in TEMPLATE_SUFFIXES:
            if base.endswith(suffix):
                names.setdefault(base.removesuffix(suffix), set()).add(suffix)
    return frozenset(n for n, sfx in names.items() if len(sfx) == len(TEMPLATE_SUFFIXES))


def _join(display: str, name: str) -> str:
    return f"{display.rstrip('/')}/{name}" if display else name


def _org(ctx: _Ctx, sources: Mapping[str, str], display: str) -> OrgSettings:
    text = sources.get(ORG_FILE)
    if text is None:
        return OrgSettings()
    try:
        src = read_yaml(_join(display, ORG_FILE), text)
    except YamlSyntaxError as exc:
        ctx.problems.extend(exc.problems)
        return OrgSettings()
    try:
        return OrgSettings.model_validate(src.data or {})
    except ValidationError as exc:
        ctx.problems.extend(validation_problems(exc, src, ()))
        return OrgSettings()


def compile_book(
    sources: Mapping[str, str],
    *,
    display_root: str = "",
    articles: frozenset[str] | None = None,
) -> FlowBook:
    """Compile every flow in ``sources`` (name -> text, names relative to the
    flows folder); raise :class:`FlowLoadError` listing every problem."""
    ctx = _Ctx()
    org = _org(ctx, sources, display_root)
    ctx.org_texts = frozenset(org.teksten)
    templates = _templates(ctx, sources, display_root)
    comp = _Compiler(ctx, org, templates, articles)
    for name in sorted(sources):
        if "/" in name or not name.endswith((".yaml", ".yml")) or name == ORG_FILE:
            continue
        parsed = _parse_flow(ctx, name, _join(display_root, name), sources[name])
        if parsed is None:
            continue
        header, src = parsed
        if header.id in comp.headers:
            ctx.add(src.where(("id",)), f"flow id '{header.id}' is used by another file too")
            continue
        comp.headers[header.id] = parsed
        comp.collect(header, src)

    compiled: dict[str, Block] = {}
    for bid, raw in comp.raw_blocks.items():
        block = comp.compile_block(raw)
        if block is not None:
            compiled[bid] = block
    # Calls: existence, inputs, loops.
    for calls in comp.calls.values():
        for callee, where in calls:
            if callee not in comp.headers:
                ctx.add(where, f"sub-flow '{callee}' does not exist")
    for block in compiled.values():
        for step in block.steps.values():
            if step.kind == "call" and step.callee in comp.headers:
                accepted = set(comp.headers[step.callee][0].inputs)
                for name, _ in step.inputs:
                    if name not in accepted:
                        ctx.add(step.location, f"flow '{step.callee}' takes no input '{name}'")
    _call_cycles(comp.calls, ctx)
    for flow_id, (header, src) in comp.headers.items():
        if header.case_code is not None:
            block = compiled.get(flow_id)
            case_step = block.steps.get(header.case_code) if block else None
            if block is not None and (
                case_step is None or case_step.question is not QuestionKind.TEXT
            ):
                ctx.add(
                    src.where(("case_code",)),
                    f"case_code '{header.case_code}' must name a text question",
                )
    if ctx.problems:
        raise FlowLoadError(ctx.problems)

    # Read-before-set, outer blocks before their loop bodies.
    avail_at: dict[str, dict[str, frozenset[str]]] = {}
    for bid in sorted(compiled, key=lambda b: b.count("#")):
        raw = comp.raw_blocks[bid]
        if raw.outer is None:
            initial = frozenset(comp.headers[raw.flow][0].inputs)
        else:
            outer_avail = avail_at.get(raw.outer.id, {})
            initial = outer_avail.get(raw.outer_step or "", frozenset()) | {
                raw.loop_var or "",
                f"{raw.loop_var}_label",
            }
        avail_at[bid] = comp.check_reads(raw, compiled[bid], initial)
    if ctx.problems:
        raise FlowLoadError(ctx.problems)

    # Estimates: callees and loop bodies first.
    order = _estimate_order(compiled, comp)
    for bid in order:
        block = compiled[bid]
        comp.blocks[bid] = block
        block = Block(
            block.id,
            block.flow,
            block.steps,
            block.start,
            block.is_loop_body,
            comp.estimates(block),
        )
        comp.blocks[bid] = block
        if not block.is_loop_body:
            header, src = comp.headers[bid]
            comp.flows[bid] = Flow(
                header.id,
                header.version,
                header.title,
                header.description,
                header.menu,
                header.order,
                tuple(header.inputs),
                header.case_code,
                src.file,
                bid,
            )
    return FlowBook(
        MappingProxyType(dict(sorted(comp.flows.items()))),
        MappingProxyType(comp.blocks),
        org,
        MappingProxyType(dict(sources)),
        book_hash(sources),
        templates,
    )


def _estimate_order(compiled: Mapping[str, Block], comp: _Compiler) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(bid: str) -> None:
        if bid in seen:
            return
        seen.add(bid)
        for step in compiled[bid].steps.values():
            if step.kind == "call" and step.callee in compiled:
                visit(cast(str, step.callee))
            if step.kind == "foreach" and step.body in compiled:
                visit(cast(str, step.body))
        order.append(bid)

    for bid in compiled:
        visit(bid)
    return order
