"""Conditions and text templates, compiled once at load time in a Jinja2 sandbox.

``when:`` conditions are Jinja2 expressions compiled with the sandboxed
environment's ``compile_expression`` — never Python's ``eval`` — so a flow
file cannot reach Python internals (an escape attempt raises
``SecurityError``). For each expression and template we also record which
variables it reads (``jinja2.meta.find_undeclared_variables``): the basis for
the "read before set" check and for knowing which questions depend on an
answer that the user changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Names every expression may read without a step having set them.
GLOBAL_NAMES = frozenset({"org", "vandaag", "true", "false", "none", "True", "False", "None"})

_ENV = ImmutableSandboxedEnvironment(
    autoescape=False, keep_trailing_newline=False, undefined=ChainableUndefined
)


class ExpressionError(Exception):
    """An expression or template that does not compile; ``line`` is 1-based within it."""

    def __init__(self, message: str, line: int) -> None:
        self.line = line
        super().__init__(message)


def _expression_reads(source: str) -> frozenset[str]:
    """The variables an expression reads.

    An expression declares no names (there is no ``for`` or ``set`` inside
    one), so this is every name it loads that is not one of Jinja2's globals
    (``range``, ``dict`` …): what ``meta.find_undeclared_variables`` returns,
    without running the code generator it uses for that (which doubled the
    time to load a large flow).
    """
    ast = _ENV.parse("{{ (" + source + ") }}")
    return frozenset(
        name.name
        for name in ast.find_all(nodes.Name)
        if name.ctx == "load" and name.name not in _ENV.globals
    )


@dataclass(frozen=True)
class Condition:
    """A compiled ``when:`` condition."""

    source: str
    reads: frozenset[str]
    _fn: Callable[..., Any]

    def holds(self, variables: Mapping[str, Any]) -> bool:
        return bool(self._fn(**variables))

    def value(self, variables: Mapping[str, Any]) -> Any:
        return self._fn(**variables)


@dataclass(frozen=True)
class Text:
    """A text that may contain ``{{ ... }}``; plain texts skip Jinja at run time."""

    source: str
    reads: frozenset[str]
    _template: Any

    def render(self, variables: Mapping[str, Any]) -> str:
        if self._template is None:
            return self.source
        return str(self._template.render(**variables)).strip()


def compile_condition(source: str) -> Condition:
    """Compile a condition or value expression; raise :class:`ExpressionError`."""
    try:
        fn = _ENV.compile_expression(source, undefined_to_none=True)
        reads = _expression_reads(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"condition does not compile: {exc.message}", exc.lineno) from exc
    return Condition(source, reads, fn)


def compile_text(source: str) -> Text:
    """Compile a message text; raise :class:`ExpressionError`."""
    if "{" not in source:
        return Text(source.strip(), frozenset(), None)
    try:
        ast = _ENV.parse(source)  # parsed once: for what it reads, then compiled
        reads = frozenset(meta.find_undeclared_variables(ast))
        template = _ENV.from_string(ast)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"text does not compile: {exc.message}", exc.lineno) from exc
    return Text(source, reads, template)


def parse_template(source: str) -> None:
    """Check a summary template's syntax; raise ``TemplateSyntaxError``."""
    _ENV.parse(source)


def org_texts_read(source: str, *, expression: bool) -> frozenset[str]:
    """The names of ``org.teksten.<name>`` (or ``org.teksten['name']``) that ``source`` reads."""
    if "teksten" not in source:
        return frozenset()
    tree = _ENV.parse("{{ (" + source + ") }}" if expression else source)
    found: set[str] = set()

    def is_teksten(parent: nodes.Node) -> bool:
        return (
            isinstance(parent, nodes.Getattr)
            and parent.attr == "teksten"
            and isinstance(parent.node, nodes.Name)
            and parent.node.name == "org"
        )

    for attr in tree.find_all(nodes.Getattr):
        if is_teksten(attr.node):
            found.add(attr.attr)
    for item in tree.find_all(nodes.Getitem):
        if is_teksten(item.node) and isinstance(item.arg, nodes.Const):
            found.add(str(item.arg.value))
    return frozenset(found)
