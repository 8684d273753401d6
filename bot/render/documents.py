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

from jinja2 import DictLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.engine.messages import Document, DocumentRequest

_TEMPLATE_DIR = "templates"
_MAX_CACHE = 16


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40]


class JinjaRenderer:
    """Implements ``DocumentRenderer``.

    One sandboxed environment per set of template sources (cached by content),
    so templates can ``{% include %}`` shared parts (``templates/_*.j2``).
    """

    def __init__(self) -> None:
        self._envs: dict[str, ImmutableSandboxedEnvironment] = {}

    def _environment(self, sources: Mapping[str, str]) -> ImmutableSandboxedEnvironment:
        templates = {
            name[len(_TEMPLATE_DIR) + 1 :]: text
            for name, text in sources.items()
            if name.startswith(f"{_TEMPLATE_DIR}/")
        }
        digest = hashlib.sha256()
        for name in sorted(templates):
            digest.update(name.encode() + b"\0" + templates[name].encode() + b"\0")
        key = digest.hexdigest()
        env = self._envs.get(key)
        if env is None:
            if len(self._envs) >= _MAX_CACHE:
                self._envs.pop(next(iter(self._envs)))
            env = ImmutableSandboxedEnvironment(
                loader=DictLoader(templates),
                autoescape=False,
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
            )
            self._envs[key] = env
        return env

    def render(self, request: DocumentRequest, sources: Mapping[str, str]) -> Document:
        env = self._environment(sources)
        parts = [
            _tidy(env.get_template(f"{request.template}{suffix}").render(**request.data))
            for suffix in (".txt.j2", ".md.j2")
        ]
        date = str(request.data.get("date", ""))
        code = request.data.get("case_code")
        stem = (
            "vastlegging"
            + (f"-{_safe_name(str(code))}" if code else "")
            + (f"-{date}" if date else "")
        )
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
