"""Conditions and texts run in Jinja2's sandbox: a flow file cannot reach Python.

Organisations edit flows; a condition is content, not code. These are the
classic escape routes; each must fail safely.
"""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from bot.flowspec.expressions import compile_condition, compile_text

ESCAPES = [
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "x.__init__.__globals__",
    "cycler.__init__.__globals__.os",
    "lipsum.__globals__['os'].popen('id').read()",
    "self.__init__.__globals__.__builtins__",
    "namespace.__init__.__globals__",
    "[].append.__self__",
    "x.update({'a': 1})",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_attempts_fail(source: str) -> None:
    condition = compile_condition(source)
    try:
        result = condition.value({"x": {"a": 1}})
    except (SecurityError, UndefinedError, TypeError):
        return
    # If evaluation did not raise, it must not have produced anything of Python's.
    assert result in (None, "", False) or not callable(result)
    assert "subprocess" not in repr(result) and getattr(result, "__name__", "") != "os"


def test_mutating_answers_is_refused() -> None:
    answers = {"lijst": ["a"]}
    with pytest.raises(SecurityError):
        compile_condition("lijst.append('b')").value(answers)
    assert answers == {"lijst": ["a"]}


def test_texts_cannot_escape_either() -> None:
    text = compile_text("{{ ().__class__.__bases__[0].__subclasses__() }}")
    with pytest.raises(SecurityError):
        text.render({})


def test_conditions_report_what_they_read() -> None:
    condition = compile_condition("toestemming == 'geweigerd' and leeftijd in ['16+'] and org.naam")
    assert condition.reads == {"toestemming", "leeftijd", "org"}
    assert condition.holds({"toestemming": "geweigerd", "leeftijd": "16+", "org": {"naam": "x"}})


def test_organisation_texts_a_source_reads_are_found() -> None:
    from bot.flowspec.expressions import org_texts_read

    assert org_texts_read("org.teksten.meldcode ~ org.teksten['nazorg']", expression=True) == {
        "meldcode",
        "nazorg",
    }
    assert org_texts_read("Zie {{ org.teksten.privacy }} en {{ org.naam }}", expression=False) == {
        "privacy"
    }
    assert org_texts_read("teksten.meldcode", expression=True) == frozenset()
