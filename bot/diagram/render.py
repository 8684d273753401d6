"""Write a :class:`~bot.diagram.build.Diagram` as Mermaid or Graphviz DOT,
and turn DOT into SVG or PNG with Graphviz's ``dot`` program."""

from __future__ import annotations

import shutil
import subprocess

from bot.diagram.build import Diagram

_MERMAID_SHAPES = {
    "ask": ('["', '"]'),
    "say": ('("', '")'),
    "advise": ('{{"', '"}}'),
    "set": ('[/"', '"/]'),
    "call": ('[["', '"]]'),
    "foreach": ('[["', '"]]'),
    "end": ('(["', '"])'),
}
_DOT_STYLE = {
    "ask": 'shape=box, style="rounded,filled", fillcolor="#dbeafe"',
    "say": 'shape=note, style=filled, fillcolor="#f3f4f6"',
    "advise": 'shape=hexagon, style=filled, fillcolor="#fef3c7"',
    "set": 'shape=parallelogram, style=filled, fillcolor="#ede9fe"',
    "call": 'shape=box3d, style=filled, fillcolor="#dcfce7"',
    "foreach": 'shape=box3d, style=filled, fillcolor="#fce7f3"',
    "end": 'shape=box, peripheries=2, style="rounded,filled", fillcolor="#fee2e2"',
}


class GraphvizMissingError(Exception):
    """``dot`` is not installed."""


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("`", "'")


def to_mermaid(diagram: Diagram) -> str:
    """Mermaid ``flowchart`` text (renders on GitHub, GitLab and Gitea)."""
    lines = ["flowchart TD"]
    by_cluster: dict[str | None, list[str]] = {}
    for node in diagram.nodes:
        left, right = _MERMAID_SHAPES[node.kind]
        by_cluster.setdefault(node.cluster, []).append(
            f"    {node.id}{left}{_mermaid_text(node.label)}{right}"
        )
    lines += by_cluster.pop(None, [])
    for cid, caption in diagram.clusters:
        lines.append(f'    subgraph {cid}["{_mermaid_text(caption)}"]')
        lines += ["  " + line for line in by_cluster.get(cid, [])]
        lines.append("    end")
    for edge in diagram.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"    {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _wrap(text: str, width: int = 38) -> str:
    out: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\\n".join(_dot_text(part) for part in out)


def to_dot(diagram: Diagram) -> str:
    """Graphviz DOT text."""
    lines = [
        f'digraph "{_dot_text(diagram.flow)}" {{',
        f'  label="{_dot_text(diagram.title)}"; labelloc=t; fontname="DejaVu Sans";',
        '  node [fontname="DejaVu Sans", fontsize=10];',
        '  edge [fontname="DejaVu Sans", fontsize=9];',
    ]

    def node_line(node_id: str) -> str:
        node = next(n for n in diagram.nodes if n.id == node_id)
        return f'  {node.id} [label="{_wrap(node.label)}", {_DOT_STYLE[node.kind]}];'

    for node in diagram.nodes:
        if node.cluster is None:
            lines.append(node_line(node.id))
    for cid, caption in diagram.clusters:
        lines.append(f"  subgraph cluster_{cid} {{")
        lines.append(f'    label="{_dot_text(caption)}"; style=dashed;')
        lines += ["  " + node_line(n.id) for n in diagram.nodes if n.cluster == cid]
        lines.append("  }")
    for edge in diagram.edges:
        attrs = []
        if edge.label:
            attrs.append(f'label="{_wrap(edge.label, 30)}"')
        if edge.dashed:
            attrs.append("style=dashed")
        shown = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {edge.source} -> {edge.target}{shown};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(dot: str, fmt: str) -> bytes:
    """Run Graphviz: ``fmt`` is ``svg`` or ``png``."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissingError("Graphviz (dot) is niet geïnstalleerd: apt-get install graphviz")
    done = subprocess.run(
        [program, f"-T{fmt}"], input=dot.encode(), capture_output=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace"))
    return done.stdout
