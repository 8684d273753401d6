"""One value built from others that have fields of the same names.

A record is made from the engine's ``RecordFinished`` (same flow, version,
hash, case code and answers), read back from a database row (same columns),
and an agreed step becomes a ``PlannedAction`` with its record's owner and
case code. Instead of copying every shared field by keyword at each place,
:func:`carried` takes the fields a place does not give from the sources.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def carried(cls: type[T], *sources: object, **given: Any) -> T:
    """A ``cls`` with the ``given`` fields, each other field taken from the first of
    ``sources`` with an attribute of its name (none: its default, or ``TypeError``)."""
    values = dict(given)
    for f in fields(cls):  # type: ignore[arg-type]
        if f.init and f.name not in values:
            for source in sources:
                if hasattr(source, f.name):
                    values[f.name] = getattr(source, f.name)
                    break
    return cls(**values)
