"""One JSON form for the engine's frozen state values (``bot.engine.state``).

A conversation's state is stored as JSON after every step and read back
before the next. ``Frame``, ``LogEntry``, ``Replay`` and ``State`` each
spelled their ``to_json``/``from_json`` out field by field, though the form
follows from the field types. :class:`JsonForm` works it out once per class
(at first use) as a list of converters: a string enum as its value, a tuple
as a list, a nested value by its own form (``None`` when empty), anything
else as it is; reading, a field missing from older JSON takes its default.
The JSON is the same, key for key and in the same order, as the hand-written
methods made, so stored conversations load as before.

Why not pydantic's ``TypeAdapter`` (tried, 2026-12-03): its JSON mode turns a
not-a-number or infinite float inside an answer (an ``Any`` field) into
``null`` without a word, where the store must refuse it, and a value JSON
cannot hold raises its own error type instead of ``TypeError``; its Python
mode leaves enums as enum objects, which a database driver may write by name.
Reading was faster with it, writing no faster than this.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from enum import Enum
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

Convert = Callable[[Any], Any]

_REQUIRED = object()
"""A field without a default: its key must be in the JSON."""


class JsonForm:
    """``to_json`` and ``from_json`` for a frozen dataclass, from its field types.

    Its fields may be JSON values (``Any``, ``str``, ``int``, ``bool``, dicts),
    string enums, tuples (of strings or of other ``JsonForm`` values) and
    other ``JsonForm`` values, each optionally ``None``.
    """

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON form: one key per field, in field order."""
        values = self.__dict__
        out = {}
        for name, write in _writers(type(self)):
            out[name] = values[name] if write is None else write(values[name])
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The value ``to_json`` made (a missing key: the field's default)."""
        values: dict[str, Any] = {}
        for name, read, default, factory in _readers(cls):
            if name in data:
                raw = data[name]
                values[name] = raw if read is None else read(raw)
            elif factory is not None:
                values[name] = factory()
            elif default is _REQUIRED:
                raise KeyError(name)
            else:
                values[name] = default
        return cls(**values)


Writers = tuple[tuple[str, Convert | None], ...]
Readers = tuple[tuple[str, Convert | None, Any, Callable[[], Any] | None], ...]
_FORMS: dict[type, tuple[Writers, Readers]] = {}


def _writers(cls: type[JsonForm]) -> Writers:
    return (_FORMS.get(cls) or _compile(cls))[0]


def _readers(cls: type[JsonForm]) -> Readers:
    return (_FORMS.get(cls) or _compile(cls))[1]


def _compile(cls: type[JsonForm]) -> tuple[Writers, Readers]:
    hints = get_type_hints(cls)
    writers: list[tuple[str, Convert | None]] = []
    readers: list[tuple[str, Convert | None, Any, Callable[[], Any] | None]] = []
    for f in fields(cls):  # type: ignore[arg-type]
        hint = hints[f.name]
        writers.append((f.name, _writer(hint)))
        default = _REQUIRED if f.default is MISSING else f.default
        factory = None if f.default_factory is MISSING else f.default_factory
        readers.append((f.name, _reader(hint), default, factory))
    form = _FORMS[cls] = (tuple(writers), tuple(readers))
    return form


def _optional(hint: Any) -> Any | None:
    """``X`` of ``X | None``; None for any other type."""
    if get_origin(hint) in (Union, types.UnionType):
        rest = [a for a in get_args(hint) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return None


def _is_form(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, JsonForm)


def _is_enum(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, Enum)


def _writer(hint: Any) -> Convert | None:
    inner = _optional(hint)
    if inner is not None:
        if _is_form(inner):
            return lambda v: v.to_json() if v else None
        if _is_enum(inner):
            return lambda v: v.value if v else None
        return None
    if _is_enum(hint):
        return lambda v: v.value
    if get_origin(hint) is tuple:
        if _is_form(get_args(hint)[0]):
            return lambda v: [item.to_json() for item in v]
        return list
    return None


def _reader(hint: Any) -> Convert | None:
    inner = _optional(hint)
    if inner is not None:
        if _is_form(inner) or _is_enum(inner):
            read = inner.from_json if _is_form(inner) else inner
            return lambda v: read(v) if v else None
        return None
    if _is_enum(hint) or hint in (str, int, bool):
        return hint  # type: ignore[no-any-return]
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        if _is_form(item):
            return lambda v: tuple(item.from_json(x) for x in v)
        return tuple
    if get_origin(hint) is dict:
        return lambda v: dict(v or {})
    return None
