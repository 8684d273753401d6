"""Render a summary request into plain text and Markdown with sandboxed Jinja2.

Templates live next to the flows (``flows/templates/<name>.txt.j2`` and
``.md.j2``) so an organisation adapts its vastlegging with its flows. They
are rendered in Jinja2's sandbox: a template is content, not code. The
sources come from the flow book the conversation ran on, so a conversation
started before a template change still gets the template it started with.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.engine.messages import Document, DocumentRequest

_TEMPLATE_DIR = "templates"
_MAX_CACHE = 256


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40]


class JinjaRenderer:
    """Implements ``DocumentRenderer``; compiled templates are cached by content."""

    def __init__(self) -> None:
        self._env = ImmutableSandboxedEnvironment(
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._cache: dict[str, Template] = {}

    def _template(self, source: str) -> Template:
        key = hashlib.sha256(source.encode()).hexdigest()
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= _MAX_CACHE:
                self._cache.pop(next(iter(self._cache)))
            found = self._env.from_string(source)
            self._cache[key] = found
        return found

    def render(self, request: DocumentRequest, sources: Mapping[str, str]) -> Document:
        parts = []
        for suffix in (".txt.j2", ".md.j2"):
            source = sources[f"{_TEMPLATE_DIR}/{request.template}{suffix}"]
            text = self._template(source).render(**request.data)
            parts.append(_tidy(text))
        date = str(request.data.get("date", ""))
        code = request.data.get("case_code")
        stem = "vastlegging" + (f"-{_safe_name(str(code))}" if code else "") + (f"-{date}" if date else "")
        return Document(
            title=request.title,
            text=parts[0],
            markdown=parts[1],
            filename=f"{stem}.txt",
            final=request.final,
        )


def _tidy(text: str) -> str:
    """No trailing spaces, at most one empty line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
