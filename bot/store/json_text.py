"""The one JSON text form every store writes: compact, readable and strict.

Compact (no spaces), readable (Dutch text stays UTF-8, not ``\\u`` escapes)
and strict: NaN and Infinity are not JSON, and PostgreSQL would refuse them,
so every backend refuses them. The SQL store's JSON columns and the memory
store use it, so a value one store can not hold fails in the other too. It
imports no SQLAlchemy (the memory store must stay free of it).
"""

from __future__ import annotations

import json
from functools import partial

dump_json = partial(json.dumps, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
