"""Conditions that only compare and combine answers, run as plain Python closures.

Why: every ``when:`` used to be a call of Jinja2's compiled expression, which
builds a template context (copies of the variables, a ``Context`` object)
for each evaluation; that was the largest single cost of an engine step.
Most conditions are ``name == 'x'``, ``name in ['a', 'b']``, ``not name``,
``a and b``: this module turns the *checked* Jinja2 AST of such a condition
into nested Python closures once, and leaves everything else (filters,
tests, calls, arithmetic, slices) to Jinja2.

What keeps the sandbox's guarantees: nothing here runs Python's ``eval`` or
``compile``, and no text from the flow becomes code; constants stay values.
Attribute and item access go through the sandboxed environment's own
``getattr``/``getitem`` (the same calls Jinja2's generated code makes), and a
missing name becomes the environment's ``undefined`` object, so comparisons
with it behave as in Jinja2. The other operations (``==``, ``in``, ``not``,
``and``, ``or``, ``x if c else y``) are what Jinja2's code generator emits as
plain Python for these nodes too.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.runtime import Undefined
from jinja2.sandbox import SandboxedEnvironment

Evaluate = Callable[[Mapping[str, Any]], Any]

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lteq": operator.le,
    "gt": operator.gt,
    "gteq": operator.ge,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}


class UnsupportedError(Exception):
    """A node this module leaves to Jinja2."""


def plain_condition(
    ast: nodes.Expr, env: SandboxedEnvironment, *, undefined_to_none: bool = True
) -> Evaluate | None:
    """``ast`` as a function of the variables, or None when Jinja2 must run it."""
    try:
        inner = _build(ast, env)
    except UnsupportedError:
        return None
    if not undefined_to_none:
        return inner

    def evaluate(variables: Mapping[str, Any]) -> Any:
        value = inner(variables)
        return None if isinstance(value, Undefined) else value

    return evaluate


def _build(node: nodes.Node, env: SandboxedEnvironment) -> Evaluate:
    if isinstance(node, nodes.Const):
        value = node.value
        return lambda _v: value
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return _name(node.name, env)
    if isinstance(node, nodes.List) or (isinstance(node, nodes.Tuple) and node.ctx == "load"):
        items = [_build(item, env) for item in node.items]
        if isinstance(node, nodes.List):
            return lambda v: [item(v) for item in items]
        return lambda v: tuple(item(v) for item in items)
    if isinstance(node, nodes.Not):
        inner = _build(node.node, env)
        return lambda v: not inner(v)
    if isinstance(node, nodes.And):
        left, right = _build(node.left, env), _build(node.right, env)
        return lambda v: left(v) and right(v)
    if isinstance(node, nodes.Or):
        left, right = _build(node.left, env), _build(node.right, env)
        return lambda v: left(v) or right(v)
    if isinstance(node, nodes.Compare):
        return _compare(node, env)
    if isinstance(node, nodes.Getattr) and node.ctx == "load":
        obj, attr = _build(node.node, env), node.attr
        return lambda v: env.getattr(obj(v), attr)
    if (
        isinstance(node, nodes.Getitem)
        and node.ctx == "load"
        and not isinstance(node.arg, nodes.Slice)
    ):
        obj, arg = _build(node.node, env), _build(node.arg, env)
        return lambda v: env.getitem(obj(v), arg(v))
    if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
        test, yes, no = (_build(n, env) for n in (node.test, node.expr1, node.expr2))
        return lambda v: yes(v) if test(v) else no(v)
    raise UnsupportedError(type(node).__name__)


def _name(name: str, env: SandboxedEnvironment) -> Evaluate:
    if name in env.globals:  # range, dict, ...: Jinja2's context resolves those
        raise UnsupportedError(name)
    missing = object()

    def look_up(variables: Mapping[str, Any]) -> Any:
        value = variables.get(name, missing)
        return env.undefined(name=name) if value is missing else value

    return look_up


def _compare(node: nodes.Compare, env: SandboxedEnvironment) -> Evaluate:
    first = _build(node.expr, env)
    ops = [(_COMPARE[op.op], _build(op.expr, env)) for op in node.ops if op.op in _COMPARE]
    if len(ops) != len(node.ops):
        raise UnsupportedError("compare")
    if len(ops) == 1:
        ((compare, second),) = ops
        return lambda v: compare(first(v), second(v))

    def chained(variables: Mapping[str, Any]) -> Any:  # a < b < c, as Python chains it
        left = first(variables)
        result: Any = True
        for compare, operand in ops:
            right = operand(variables)
            result = compare(left, right)
            if not result:
                return result
            left = right
        return result

    return chained
