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

Estimate = float  # questions still to come on a typical path (for the progress hint)
Written = tuple[tuple[str, ...], Condition | Text]
"""An expression of a step and the key path it is written under (``("with", "naam")``)."""


@dataclass(frozen=True)
class Branch:
    """A resolved way out of a step: to ``target`` when ``condition`` holds (or always)."""

    condition: Condition | None
    target: str


@dataclass(frozen=True, kw_only=True)
class _StepCommon:
    """What every compiled step has: its id and place, its ways out, its guard."""

    id: str
    location: SourceLocation
    branches: tuple[Branch, ...] = ()
    when: Condition | None = None
    help: str | None = None
    reads: frozenset[str] = frozenset()
    """Every name the step's expressions read (for ``wijzig``: which answers it depends on)."""

    def expressions(self) -> tuple[Written, ...]:
        """The step's conditions and texts, each with the key it is written under."""
        return ((("when",), self.when),) if self.when is not None else ()


@dataclass(frozen=True, kw_only=True)
class SayStep(_StepCommon):
    """Show ``text`` and go on."""

    kind: Literal["say"] = "say"
    text: Text

    def expressions(self) -> tuple[Written, ...]:
        return (*super().expressions(), (("say",), self.text))


@dataclass(frozen=True, kw_only=True)
class AdviseStep(_StepCommon):
    """Show a recommendation; ``record`` is what the vastlegging keeps of it."""

    kind: Literal["advise"] = "advise"
    text: Text
    record: Text

    def expressions(self) -> tuple[Written, ...]:
        return (*super().expressions(), (("advise",), self.text), (("record",), self.record))


@dataclass(frozen=True, kw_only=True)
class AskStep(_StepCommon):
    """Ask one question; the answer is kept under the step id."""

    kind: Literal["ask"] = "ask"
    question: QuestionKind
    text: Text
    choices: tuple[Choice, ...] = ()
    max_length: int = 400
    optional: bool = False
    prefer: str = "future"
    describes_case: bool = False
    hint: str | None = None
    why: str | None = None
    example: str | None = None

    def expressions(self) -> tuple[Written, ...]:
        return (*super().expressions(), (("text",), self.text))


@dataclass(frozen=True, kw_only=True)
class SetStep(_StepCommon):
    """Keep the value of ``expression`` under the step id."""

    kind: Literal["set"] = "set"
    expression: Condition

    def expressions(self) -> tuple[Written, ...]:
        return (*super().expressions(), (("set",), self.expression))


@dataclass(frozen=True, kw_only=True)
class CallStep(_StepCommon):
    """Run the flow ``callee`` with ``inputs``; its answers live under the step id."""

    kind: Literal["call"] = "call"
    callee: str
    inputs: tuple[tuple[str, Condition], ...] = ()

    def expressions(self) -> tuple[Written, ...]:
        given = tuple((("with", name), condition) for name, condition in self.inputs)
        return (*super().expressions(), *given)


@dataclass(frozen=True, kw_only=True)
class ForeachStep(_StepCommon):
    """Run the block ``body`` once per item of ``over`` (that ``where`` lets through)."""

    kind: Literal["foreach"] = "foreach"
    over: Condition
    loop_var: str
    where: Condition | None = None
    body: str

    def expressions(self) -> tuple[Written, ...]:
        where = ((("where",), self.where),) if self.where is not None else ()
        return (*super().expressions(), (("foreach",), self.over), *where)


@dataclass(frozen=True, kw_only=True)
class EndStep(_StepCommon):
    """End the flow; at the top level the summary uses ``template``."""

    kind: Literal["end"] = "end"
    template: str
    then: str | None = None
    """Said after the vastlegging, with ``then_choices`` as quick replies (key, label)."""
    then_choices: tuple[tuple[str, str], ...] = ()


Step = SayStep | AdviseStep | AskStep | SetStep | CallStep | ForeachStep | EndStep
"""One compiled step: a tagged union on ``kind``, so a ``match`` proves every kind handled."""
StepKind = Literal["say", "advise", "ask", "set", "call", "foreach", "end"]


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
