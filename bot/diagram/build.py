"""A compiled flow as nodes and edges, ready to be written as Mermaid or DOT.

One node per step (questions, messages, advice, computed values, sub-flows,
loops, ends); one edge per way out, labelled with its condition in words. A
step with its own ``when`` says so in its box ("alleen als …"): when that
does not hold, the bot goes straight on along the step's way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.diagram.words import Vocabulary, in_words
from bot.flowspec.graph import Block, FlowBook, Step

_MAX_TEXT = 90


@dataclass(frozen=True)
class Node:
    """One box: ``kind`` is the step kind (``ask``, ``say``, …)."""

    id: str
    kind: str
    label: str
    cluster: str | None = None


@dataclass(frozen=True)
class Edge:
    """An arrow; ``dashed`` for the way back from a loop body."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Diagram:
    """The drawing of one flow."""

    flow: str
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[tuple[str, str], ...]
    """(cluster id, caption) of each loop body."""


_KIND_WORD = {
    "ask": "Vraag",
    "say": "Bericht",
    "advise": "Advies",
    "set": "Berekend",
    "call": "Deelflow",
    "foreach": "Voor elk",
    "end": "Einde",
}


def _short(text: str) -> str:
    text = re.sub(r"\{\{-?\s*(.*?)\s*-?\}\}", r"[\1]", text)
    text = re.sub(r"\{%.*?%\}", "", text)
    text = " ".join(text.split())
    if len(text) > _MAX_TEXT:
        text = text[: _MAX_TEXT - 1].rstrip() + "…"
    return text


def _node_id(block: str, step: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{block}__{step}")


def vocabulary(book: FlowBook, flow_id: str) -> Vocabulary:
    """Question texts and choice labels under the names a flow's conditions use."""
    questions: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}

    def add(block: Block, prefix: str, depth: int) -> None:
        for step in block.steps.values():
            name = prefix + step.id
            if step.kind == "ask" and step.text is not None:
                questions[name] = " ".join(step.text.source.split())
                labels[name] = {c.key: c.label for c in step.choices}
            elif step.kind == "call" and step.callee and step.callee in book.flows and depth < 3:
                callee = book.flows[step.callee]
                add(book.blocks[callee.block], name + ".", depth + 1)
            elif step.kind == "foreach" and step.body and step.body in book.blocks and depth < 3:
                add(book.blocks[step.body], prefix, depth + 1)

    flow = book.flows[flow_id]
    add(book.blocks[flow.block], "", 0)
    return Vocabulary(questions, labels)


def _label(book: FlowBook, step: Step, vocab: Vocabulary) -> str:
    word = _KIND_WORD[step.kind]
    if step.kind in ("ask", "say", "advise") and step.text is not None:
        body = _short(step.text.source)
        if step.kind == "ask" and step.choices:
            body += " (" + _short(" / ".join(c.label for c in step.choices)) + ")"
    elif step.kind == "call":
        callee = book.flows.get(step.callee or "")
        body = callee.title if callee else str(step.callee)
    elif step.kind == "foreach" and step.over is not None:
        over = step.over.source.strip()
        shown = vocab.name(over) if over in vocab.questions else f"`{over}`"
        body = f"{step.loop_var}: elke keuze bij {shown}"
    elif step.kind == "set" and step.expression is not None:
        body = step.id
    elif step.kind == "end":
        body = f"de vastlegging (sjabloon {step.template})" if step.template else "klaar"
    else:
        body = step.id
    label = f"{word}: {body}"
    if step.when is not None:
        label += f" — alleen als {in_words(step.when.source, vocab)}"
    return label


def build(book: FlowBook, flow_id: str) -> Diagram:
    """The diagram of ``flow_id`` in ``book`` (``KeyError`` if there is no such flow)."""
    flow = book.flows[flow_id]
    vocab = vocabulary(book, flow_id)
    nodes: list[Node] = []
    edges: list[Edge] = []
    clusters: list[tuple[str, str]] = []

    def draw(block: Block, cluster: str | None, loop_head: str | None) -> None:
        for step in block.steps.values():
            nid = _node_id(block.id, step.id)
            nodes.append(Node(nid, step.kind, _label(book, step, vocab), cluster))
            for branch in step.branches:
                label = in_words(branch.condition.source, vocab) if branch.condition else ""
                if len(step.branches) > 1 and branch.condition is None:
                    label = "anders"
                edges.append(Edge(nid, _node_id(block.id, branch.target), label))
            if not step.branches and loop_head is not None and step.kind != "end":
                edges.append(Edge(nid, loop_head, "volgende", dashed=True))
            if step.kind == "foreach" and step.body and step.body in book.blocks:
                body = book.blocks[step.body]
                cid = _node_id(body.id, "body")
                clusters.append((cid, f"Voor elk {step.loop_var}"))
                edges.append(Edge(nid, _node_id(body.id, body.start), "per keuze"))
                draw(body, cid, nid)

    draw(book.blocks[flow.block], None, None)
    return Diagram(flow.id, flow.title, tuple(nodes), tuple(edges), tuple(clusters))
