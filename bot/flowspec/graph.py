"""The compiled flow graph the engine runs on.

A :class:`FlowBook` is everything one version of an organisation's flows
consists of: the flows, their blocks (a flow's steps, or the body of a
``foreach``), the organisation settings and the source texts (kept so a
conversation can finish on the version it started with). Everything here is
immutable and built once at load time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from bot.flowspec.errors import SourceLocation
from bot.flowspec.expressions import Condition, Text
from bot.flowspec.model import OrgSettings
from bot.questions import Choice, QuestionKind

StepKind = Literal["say", "advise", "ask", "set", "call", "foreach", "end"]
Estimate = float  # questions still to come on a typical path (for the progress hint)


@dataclass(frozen=True)
class Branch:
    """A resolved way out of a step: to ``target`` when ``condition`` holds (or always)."""

    condition: Condition | None
    target: str


@dataclass(frozen=True)
class Step:
    """One compiled step. Fields that do not apply to the step's kind stay empty."""

    id: str
    kind: StepKind
    location: SourceLocation
    branches: tuple[Branch, ...] = ()
    when: Condition | None = None
    help: str | None = None
    text: Text | None = None
    record: Text | None = None
    question: QuestionKind | None = None
    choices: tuple[Choice, ...] = ()
    max_length: int = 400
    optional: bool = False
    prefer: str = "future"
    describes_case: bool = False
    hint: str | None = None
    why: str | None = None
    example: str | None = None
    expression: Condition | None = None
    callee: str | None = None
    inputs: tuple[tuple[str, Condition], ...] = ()
    over: Condition | None = None
    loop_var: str | None = None
    where: Condition | None = None
    body: str | None = None
    template: str | None = None
    reads: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Block:
    """A list of steps with one entry: a flow, or the body of a ``foreach``."""

    id: str
    flow: str
    steps: MappingProxyType[str, Step]
    start: str
    is_loop_body: bool
    estimate: MappingProxyType[str, Estimate]


@dataclass(frozen=True)
class Flow:
    """A flow's header and its top block."""

    id: str
    version: str
    title: str
    description: str | None
    menu: bool
    order: int
    inputs: tuple[str, ...]
    case_code: str | None
    path: str
    block: str


@dataclass(frozen=True)
class FlowBook:
    """One version of all flows, settings and templates, identified by ``hash``."""

    flows: MappingProxyType[str, Flow]
    blocks: MappingProxyType[str, Block]
    org: OrgSettings
    sources: MappingProxyType[str, str]
    hash: str
    templates: frozenset[str] = field(default_factory=frozenset)

    def menu(self) -> list[Flow]:
        """The flows a user can start, in menu order."""
        return sorted((f for f in self.flows.values() if f.menu), key=lambda f: (f.order, f.id))
