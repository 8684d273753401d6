"""Flow sources from a folder, or from a folder at a git revision (``REV:path``).

``voorkomen flows diff HEAD~3:flows flows`` compares what was published three
commits ago with the folder as it is now; ``git show`` reads the old files,
so nothing in the working tree changes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.flowspec.compile import ORG_FILE, TEMPLATE_DIR
from bot.flowspec.loader import read_sources


class SourceError(Exception):
    """The folder or revision cannot be read; the message is Dutch."""


def _git(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise SourceError(done.stderr.strip() or f"git {' '.join(args)} mislukte")
    return done.stdout


def git_sources(rev: str, folder: str, cwd: Path) -> dict[str, str]:
    """The sources :func:`read_sources` would read, but from ``rev:folder``."""
    folder = folder.strip("/") or "."
    listing = _git(["ls-tree", "--name-only", f"{rev}:{folder}"], cwd).split()
    sources: dict[str, str] = {}
    for name in sorted(listing):
        if name.endswith((".yaml", ".yml")) or name == ORG_FILE:
            sources[name] = _git(["show", f"{rev}:{folder}/{name}"], cwd)
    if TEMPLATE_DIR in listing:
        for name in sorted(
            _git(["ls-tree", "--name-only", f"{rev}:{folder}/{TEMPLATE_DIR}"], cwd).split()
        ):
            if name.endswith(".j2"):
                sources[f"{TEMPLATE_DIR}/{name}"] = _git(
                    ["show", f"{rev}:{folder}/{TEMPLATE_DIR}/{name}"], cwd
                )
    return sources


def sources_of(spec: str, cwd: Path | None = None) -> tuple[dict[str, str], str]:
    """(sources, display name) of a folder, or of ``REV:folder`` in git."""
    here = cwd or Path.cwd()
    path = Path(spec)
    if path.is_dir():
        return read_sources(path), str(path)
    if ":" in spec:
        rev, _, folder = spec.partition(":")
        return git_sources(rev, folder, here), spec
    raise SourceError(f"'{spec}' is geen map en geen git-versie als HEAD~1:flows")
