"""Conditions run as plain Python closures give what Jinja2's sandbox gives.

``bot.flowspec.plain_conditions`` takes over the conditions that only compare
and combine answers, for speed (issue 15). These tests hold it to Jinja2: the
same value (or the same kind of error) for every condition of the shipped
flows and a set of harder ones, over answers that are there, missing, empty,
or of another type; and what it does not know it leaves to Jinja2.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jinja2.exceptions import SecurityError

from bot.flowspec.expressions import _ENV, _parse_expression, compile_condition
from bot.flowspec.graph import FlowBook
from bot.flowspec.loader import load_book
from bot.flowspec.plain_conditions import plain_condition
from bot.settings import Settings

HARD = [
    "a == 'x'",
    "a != 'x' and not b",
    "a in ['x', 'y'] or b not in ['x']",
    "a == ['x']",
    "a < b < c",
    "1 < 2 <= 2 > 1",
    "a if b else c",
    "org.naam and org.teksten.meldcode",
    "org['naam'] == 'Bench'",
    "per_partner[partner].antwoord in ['geweigerd', 'niet_te_vragen']",
    "missing.deeper.still == 'x'",
    "not missing",
    "(a, b) == ('x', 'y')",
    "x.__class__",
    "x.items",
    "true and none is none",  # a test: left to Jinja2
    "a | length > 0",  # a filter: left to Jinja2
    "range(3)",  # a global: left to Jinja2
]

SAMPLES: list[dict[str, Any]] = [
    {},
    {"a": "x", "b": "y", "c": "z", "partner": "huisarts"},
    {"a": ["x"], "b": [], "c": None, "partner": "school"},
    {"a": 1, "b": 2, "c": 3},
    {"a": "", "b": 0, "c": False},
    {
        "org": {"naam": "Bench", "teksten": {"meldcode": "tekst"}},
        "per_partner": {"huisarts": {"antwoord": "geweigerd"}},
        "partner": "huisarts",
        "x": {"a": 1},
    },
]


def _book_conditions(book: FlowBook) -> Iterator[str]:
    for block in book.blocks.values():
        for step in block.steps.values():
            for source in (step.when, *(b.condition for b in step.branches)):
                if source is not None:
                    yield source.source


def _shipped() -> list[str]:
    return sorted(set(_book_conditions(load_book(Settings().flows_dir))))


def _outcome(run: Any, variables: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "value", run(variables)
    except Exception as exc:  # the kind of error must match, not its text
        return "error", type(exc)


@pytest.mark.parametrize("source", _shipped() + HARD)
def test_plain_python_gives_what_jinja_gives(source: str) -> None:
    compiled = _ENV.compile_expression(source, undefined_to_none=True)
    plain = plain_condition(_parse_expression(source), _ENV)
    condition = compile_condition(source)
    for variables in SAMPLES:
        expected = _outcome(lambda v: compiled(**v), variables)
        assert _outcome(condition.value, variables) == expected, variables
        if plain is not None:
            assert _outcome(plain, variables) == expected, variables


def test_the_shipped_conditions_run_as_plain_python() -> None:
    shipped = _shipped()
    assert len(shipped) > 20
    left = [s for s in shipped if plain_condition(_parse_expression(s), _ENV) is None]
    assert left == []


@pytest.mark.parametrize("source", ["a | length", "a is defined", "range(2)", "a[1:]", "a + 1"])
def test_what_it_does_not_know_is_left_to_jinja(source: str) -> None:
    assert plain_condition(_parse_expression(source), _ENV) is None


def test_attribute_access_stays_in_the_sandbox() -> None:
    plain = plain_condition(_parse_expression("x.__class__.__init__"), _ENV)
    assert plain is not None
    assert plain({"x": {"a": 1}}) is None  # the sandbox's unsafe undefined, as in Jinja2
    assert compile_condition("x.__class__").value({"x": {}}) is None  # not ``dict``
    with pytest.raises(SecurityError):  # a call is Jinja2's: the sandbox refuses it
        compile_condition("x.__class__.__init__()").value({"x": {}})
