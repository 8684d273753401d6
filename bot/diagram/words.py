"""Jinja ``when:`` conditions in plain Dutch, using the questions' own texts.

``soort == 'veiligheid' and leeftijd in ['12-15','16+']`` becomes
``«Wat voor dilemma is het?» is «Zorgen over veiligheid» en «Hoe oud …» is
«12 tot en met 15 jaar» of «16 jaar of ouder»``. What cannot be said in words
is shown as the expression itself, so nothing is ever hidden.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment()
_MAX_QUESTION = 60


@dataclass(frozen=True)
class Vocabulary:
    """What a name in a condition means: a question's text and its choice labels."""

    questions: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def name(self, path: str) -> str:
        text = self.questions.get(path)
        if text is None:
            return path
        text = re.sub(r"\{\{-?\s*(.*?)\s*-?\}\}", r"[\1]", text)
        if len(text) > _MAX_QUESTION:
            text = text[: _MAX_QUESTION - 1].rstrip() + "…"
        return f"«{text}»"

    def value(self, path: str | None, value: object) -> str:
        if isinstance(value, bool):
            return "ja" if value else "nee"
        if value is None:
            return "leeg"
        label = self.labels.get(path or "", {}).get(str(value))
        return f"«{label or value}»"


def _path(node: nodes.Node) -> str | None:
    """``a.b`` for ``Getattr(Name(a), b)``; ``None`` for anything else."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _const(node: nodes.Node) -> tuple[bool, object]:
    if isinstance(node, nodes.Const):
        return True, node.value
    return False, None


def _list_values(node: nodes.Node) -> list[object] | None:
    if isinstance(node, nodes.List | nodes.Tuple):
        out = []
        for item in node.items:
            ok, value = _const(item)
            if not ok:
                return None
            out.append(value)
        return out
    return None


def _or_list(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " of " + items[-1]


def _say(node: nodes.Node, vocab: Vocabulary) -> str:
    if isinstance(node, nodes.And):
        return f"{_say(node.left, vocab)} en {_say(node.right, vocab)}"
    if isinstance(node, nodes.Or):
        return f"({_say(node.left, vocab)} of {_say(node.right, vocab)})"
    if isinstance(node, nodes.Not):
        path = _path(node.node)
        if path is not None:
            return f"{vocab.name(path)} is niet beantwoord of leeg"
        return f"niet ({_say(node.node, vocab)})"
    path = _path(node)
    if path is not None:
        return f"{vocab.name(path)} is ingevuld"
    if isinstance(node, nodes.Compare) and len(node.ops) == 1:
        left, op = node.expr, node.ops[0]
        right = op.expr
        lpath, rpath = _path(left), _path(right)
        ok, value = _const(right)
        values = _list_values(right)
        if lpath is not None and op.op in ("eq", "ne"):
            if ok:
                verb = "is" if op.op == "eq" else "is niet"
                return f"{vocab.name(lpath)} {verb} {vocab.value(lpath, value)}"
            if values is not None:
                shown = " en ".join(vocab.value(lpath, v) for v in values) or "niets"
                verb = "is precies" if op.op == "eq" else "is niet precies"
                return f"{vocab.name(lpath)} {verb} {shown}"
        if lpath is not None and values is not None and op.op in ("in", "notin"):
            shown = _or_list([vocab.value(lpath, v) for v in values])
            verb = "is" if op.op == "in" else "is niet"
            return f"{vocab.name(lpath)} {verb} {shown}"
        lok, lvalue = _const(left)
        if lok and rpath is not None and op.op in ("in", "notin"):
            verb = "gekozen" if op.op == "in" else "niet gekozen"
            return f"bij {vocab.name(rpath)} is {vocab.value(rpath, lvalue)} {verb}"
    raise _UnsayableError


class _UnsayableError(Exception):
    """A part of a condition that has no plain-Dutch form here."""


def in_words(source: str, vocab: Vocabulary) -> str:
    """The condition ``source`` in plain Dutch (or the source itself, quoted)."""
    try:
        parser = Parser(_ENV, source, state="variable")
        expr = parser.parse_expression()
    except TemplateSyntaxError:
        return f"`{source.strip()}`"
    try:
        return _say(expr, vocab)
    except _UnsayableError:
        return f"`{source.strip()}`"
