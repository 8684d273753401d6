"""Where deduce's built lookup structures live: the user's cache folder.

Not the package folder (a fresh virtual environment would rebuild them, which
takes minutes) and not the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/voorkomen/deduce`` (default ``~/.cache/voorkomen/deduce``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "voorkomen" / "deduce"
