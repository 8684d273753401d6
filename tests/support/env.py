"""The environment a bot process gets in the tests: none of the developer's own
``VOORKOMEN_`` settings, the name lists off, and the test session's master key
(see tests/conftest.py)."""

from __future__ import annotations

import os


def bot_env(**settings: str) -> dict[str, str]:
    """``os.environ`` without ``VOORKOMEN_*``, plus ``VOORKOMEN_<NAME>`` for each setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOORKOMEN_")}
    env["VOORKOMEN_NAME_CHECK"] = "off"
    env["VOORKOMEN_MASTER_KEY"] = os.environ["VOORKOMEN_MASTER_KEY"]
    env.update({f"VOORKOMEN_{name}": value for name, value in settings.items()})
    return env
