"""Conditions and text templates, in a Jinja2 sandbox: checked at load time,
turned into code on first use (once).

``when:`` conditions are Jinja2 expressions compiled with the sandboxed
environment's ``compile_expression`` — never Python's ``eval`` — so a flow
file cannot reach Python internals (an escape attempt raises
``SecurityError``). At load time each expression and template is parsed
(syntax, unknown filters and tests) and we record which variables it reads:
the basis for the "read before set" check and for knowing which questions
depend on an answer that the user changes. Generating Python code is the
expensive part, so it waits until a condition or text is first used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, meta, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.flowspec.plain_conditions import plain_condition

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


def _parse_expression(source: str) -> nodes.Expr:
    """Parse an expression the way ``Environment.compile_expression`` does."""
    parser = Parser(_ENV, source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError(
            "chunk after expression", parser.stream.current.lineno, None, None
        )
    return expr


def _loaded_names(ast: nodes.Node) -> frozenset[str]:
    """Every name an expression or a ``{{ }}``-only text loads, but Jinja2's globals.

    Such sources declare no names (no ``for`` or ``set``), so this is what
    ``meta.find_undeclared_variables`` returns, without running the code
    generator it uses for that (which doubled the time to load a large flow).
    """
    found = [ast] if isinstance(ast, nodes.Name) else []  # find_all skips the root
    found += ast.find_all(nodes.Name)
    return frozenset(
        name.name for name in found if name.ctx == "load" and name.name not in _ENV.globals
    )


def _check_filters_and_tests(ast: nodes.Node) -> None:
    """Unknown filters and tests are found by Jinja2's code generator; we generate
    code on first use, so check them here, at load time."""
    for node in [ast, *ast.find_all((nodes.Filter, nodes.Test))]:  # find_all skips the root
        if isinstance(node, nodes.Filter) and node.name not in _ENV.filters:
            raise ExpressionError(f"unknown filter '{node.name}'", node.lineno)
        if isinstance(node, nodes.Test) and node.name not in _ENV.tests:
            raise ExpressionError(f"unknown test '{node.name}'", node.lineno)


@dataclass(frozen=True)
class Condition:
    """A checked ``when:`` condition; Python code is generated on first use, once."""

    source: str
    reads: frozenset[str]
    _cache: list[Callable[..., Any]] = field(default_factory=list, compare=False, repr=False)

    def _fn(self) -> Callable[[Mapping[str, Any]], Any]:
        if not self._cache:
            self._cache.append(_evaluator(self.source))
        return self._cache[0]

    def holds(self, variables: Mapping[str, Any]) -> bool:
        return bool(self._fn()(variables))

    def value(self, variables: Mapping[str, Any]) -> Any:
        return self._fn()(variables)


def _evaluator(source: str) -> Callable[[Mapping[str, Any]], Any]:
    """The checked condition as plain Python closures when it only compares and
    combines answers (``bot.flowspec.plain_conditions``), else Jinja2's sandboxed
    compiled expression."""
    plain = plain_condition(_parse_expression(source), _ENV)
    if plain is not None:
        return plain
    compiled = _ENV.compile_expression(source, undefined_to_none=True)
    return lambda variables: compiled(**variables)


@dataclass(frozen=True)
class Text:
    """A text that may contain ``{{ ... }}``; plain texts skip Jinja at run time.

    Templates are checked at load time; their code is generated on first use, once.
    """

    source: str
    reads: frozenset[str]
    _ast: nodes.Template | None = field(default=None, compare=False, repr=False)
    _cache: list[Any] = field(default_factory=list, compare=False, repr=False)

    def render(self, variables: Mapping[str, Any]) -> str:
        if self._ast is None:
            return self.source
        if not self._cache:
            self._cache.append(_ENV.from_string(self._ast))
        return str(self._cache[0].render(**variables)).strip()


def compile_condition(source: str) -> Condition:
    """Check a condition or value expression; raise :class:`ExpressionError`."""
    try:
        ast = _parse_expression(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"condition does not compile: {exc.message}", exc.lineno) from exc
    _check_filters_and_tests(ast)
    return Condition(source, _loaded_names(ast))


def compile_text(source: str) -> Text:
    """Check a message text; raise :class:`ExpressionError`."""
    if "{" not in source:
        return Text(source.strip(), frozenset())
    try:
        ast = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"text does not compile: {exc.message}", exc.lineno) from exc
    _check_filters_and_tests(ast)
    # Texts with {% %} may declare names (for, set): let Jinja2 work out what they read.
    reads = meta.find_undeclared_variables(ast) if "{%" in source else _loaded_names(ast)
    return Text(source, frozenset(reads), ast)


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
