"""Phase two of validation: from checked shapes to a compiled, sound flow book.

The order of the work, each part in a module of its own: read the
organisation settings and templates (here), read each flow file and validate
its steps' shapes (:mod:`~bot.flowspec.blocks`), compile the steps
(:mod:`~bot.flowspec.steps`) and check each block's graph
(:mod:`~bot.flowspec.checks`), check calls across flows (here and in
``checks``), then data flow (:mod:`~bot.flowspec.dataflow`: no variable read
before every path has set it), then the progress estimates
(:mod:`~bot.flowspec.estimates`). Every problem of a phase is reported at
once, each with its ``file:line:column``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType

from jinja2 import TemplateSyntaxError
from pydantic import ValidationError

from bot.flowspec.blocks import SourceBlock, flow_blocks, read_flow
from bot.flowspec.checks import check_call_cycles
from bot.flowspec.dataflow import check_book_reads
from bot.flowspec.errors import FlowLoadError, SourceLocation
from bot.flowspec.estimates import with_estimates
from bot.flowspec.expressions import parse_template
from bot.flowspec.graph import AskStep, Block, CallStep, Flow, FlowBook
from bot.flowspec.model import FlowHeader, OrgSettings
from bot.flowspec.problems import Problems
from bot.flowspec.source import Located, YamlSyntaxError, read_yaml, validation_problems
from bot.flowspec.steps import TEMPLATE_DIR, StepCompiler
from bot.questions import QuestionKind

__all__ = ["ORG_FILE", "TEMPLATE_DIR", "TEMPLATE_SUFFIXES", "book_hash", "compile_book"]

ORG_FILE = "organisatie.yaml"
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


def compile_book(
    sources: Mapping[str, str],
    *,
    display_root: str = "",
    articles: frozenset[str] | None = None,
) -> FlowBook:
    """Compile every flow in ``sources`` (name -> text, names relative to the
    flows folder); raise :class:`FlowLoadError` listing every problem."""
    problems = Problems()
    org = _read_org(problems, sources, display_root)
    problems.org_texts = frozenset(org.teksten)
    templates = _read_templates(problems, sources, display_root)

    headers: dict[str, tuple[FlowHeader, Located]] = {}
    source_blocks: dict[str, SourceBlock] = {}
    for name in sorted(sources):
        if "/" in name or not name.endswith((".yaml", ".yml")) or name == ORG_FILE:
            continue
        parsed = read_flow(problems, name, _join(display_root, name), sources[name])
        if parsed is None:
            continue
        header, src = parsed
        if header.id in headers:
            problems.add(src.where(("id",)), f"flow id '{header.id}' is used by another file too")
            continue
        headers[header.id] = parsed
        source_blocks.update((b.id, b) for b in flow_blocks(problems, header, src))

    compiler = StepCompiler(problems, org, templates, articles, headers)
    compiled: dict[str, Block] = {}
    for block_id, source in source_blocks.items():
        block = compiler.compile_block(source)
        if block is not None:
            compiled[block_id] = block
    _check_calls(problems, compiler, compiled, headers)
    _check_case_codes(problems, compiled, headers)
    if problems:
        raise FlowLoadError(problems.found)

    check_book_reads(problems, compiled, source_blocks, headers)
    if problems:
        raise FlowLoadError(problems.found)

    blocks = with_estimates(compiled)
    flows = {
        flow_id: _flow(header, src)
        for flow_id, (header, src) in sorted(headers.items())
        if flow_id in blocks
    }
    return FlowBook(
        MappingProxyType(flows),
        MappingProxyType(blocks),
        org,
        MappingProxyType(dict(sources)),
        book_hash(sources),
        templates,
    )


def _flow(header: FlowHeader, src: Located) -> Flow:
    return Flow(
        header.id,
        header.version,
        header.title,
        header.description,
        header.menu,
        header.order,
        tuple(header.inputs),
        header.case_code,
        src.file,
        header.id,
    )


def _check_calls(
    problems: Problems,
    compiler: StepCompiler,
    compiled: Mapping[str, Block],
    headers: Mapping[str, tuple[FlowHeader, Located]],
) -> None:
    """Called flows exist, take the inputs they are given, and do not call back."""
    for calls in compiler.calls.values():
        for callee, where in calls:
            if callee not in headers:
                problems.add(where, f"sub-flow '{callee}' does not exist")
    for block in compiled.values():
        for step in block.steps.values():
            if isinstance(step, CallStep) and step.callee in headers:
                accepted = set(headers[step.callee][0].inputs)
                for name, _ in step.inputs:
                    if name not in accepted:
                        problems.add(step.location, f"flow '{step.callee}' takes no input '{name}'")
    check_call_cycles(problems, compiler.calls)


def _check_case_codes(
    problems: Problems,
    compiled: Mapping[str, Block],
    headers: Mapping[str, tuple[FlowHeader, Located]],
) -> None:
    """A flow's ``case_code`` names one of its text questions."""
    for flow_id, (header, src) in headers.items():
        block = compiled.get(flow_id)
        if header.case_code is None or block is None:
            continue
        step = block.steps.get(header.case_code)
        if not isinstance(step, AskStep) or step.question is not QuestionKind.TEXT:
            problems.add(
                src.where(("case_code",)),
                f"case_code '{header.case_code}' must name a text question",
            )


def _read_templates(problems: Problems, sources: Mapping[str, str], display: str) -> frozenset[str]:
    """The summary templates that exist in both forms; syntax errors are problems."""
    names: dict[str, set[str]] = {}
    for name, text in sources.items():
        if not name.startswith(f"{TEMPLATE_DIR}/"):
            continue
        base = name[len(TEMPLATE_DIR) + 1 :]
        try:  # every template, shared parts (``_*.j2``) included
            parse_template(text)
        except TemplateSyntaxError as exc:
            problems.add(
                SourceLocation(_join(display, name), exc.lineno or 1, 1),
                f"template syntax error: {exc.message}",
            )
        for suffix in TEMPLATE_SUFFIXES:
            if base.endswith(suffix):
                names.setdefault(base.removesuffix(suffix), set()).add(suffix)
    return frozenset(n for n, found in names.items() if len(found) == len(TEMPLATE_SUFFIXES))


def _join(display: str, name: str) -> str:
    return f"{display.rstrip('/')}/{name}" if display else name


def _read_org(problems: Problems, sources: Mapping[str, str], display: str) -> OrgSettings:
    text = sources.get(ORG_FILE)
    if text is None:
        return OrgSettings()
    try:
        src = read_yaml(_join(display, ORG_FILE), text)
    except YamlSyntaxError as exc:
        problems.extend(exc.problems)
        return OrgSettings()
    try:
        return OrgSettings.model_validate(src.data or {})
    except ValidationError as exc:
        problems.extend(validation_problems(exc, src))
        return OrgSettings()
