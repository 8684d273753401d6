"""The compiled flow graph the engine runs on.

A :class:`FlowBook` is everything one version of an organisation's flows
consists of: the flows, their blocks (a flow's steps, or the body of a
``foreach``), the organisation settings and the source texts (kept so a
conversation can finish on the version it started with). Everything here is
immutable and built once at load time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Literal

from bot.flowspec.errors import SourceLocation
from bot.flowspec.expressions import Condition, Text
from bot.flowspec.model import OrgSettings
from bot.questions import Choice, QuestionKind

Estimate = float  # questions still to come on a typical path (for the progress hint)
Written = tuple[tuple[str, ...], Condition | Text]
"""An expression of a step and the key path it is written under (``("with", "naam")``)."""

_WRITTEN_AS = "written_as"


def _written_as(key: str) -> dict[str, str]:
    """Field metadata: the field holds an expression written under ``key`` in the YAML.

    A field holding ``(name, expression)`` pairs (``with:``) is written under ``(key, name)``.
    """
    return {_WRITTEN_AS: key}


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
    when: Condition | None = field(default=None, metadata=_written_as("when"))
    help: str | None = None
    reads: frozenset[str] = frozenset()
    """Every name the step's expressions read (for ``wijzig``: which answers it depends on)."""

    def expressions(self) -> tuple[Written, ...]:
        """The step's conditions and texts, each with the key it is written under.

        Read from the fields marked with ``_written_as``, in field order (``when`` first).
        """
        written: list[Written] = []
        for spec in fields(self):
            key = spec.metadata.get(_WRITTEN_AS)
            value = getattr(self, spec.name)
            if key is None or value is None:
                continue
            if isinstance(value, tuple):  # (name, expression) pairs
                written.extend(((key, name), expression) for name, expression in value)
            else:
                written.append(((key,), value))
        return tuple(written)


@dataclass(frozen=True, kw_only=True)
class SayStep(_StepCommon):
    """Show ``text`` and go on."""

    kind: Literal["say"] = "say"
    text: Text = field(metadata=_written_as("say"))


@dataclass(frozen=True, kw_only=True)
class AdviseStep(_StepCommon):
    """Show a recommendation; ``record`` is what the vastlegging keeps of it."""

    kind: Literal["advise"] = "advise"
    text: Text = field(metadata=_written_as("advise"))
    record: Text = field(metadata=_written_as("record"))


@dataclass(frozen=True, kw_only=True)
class AskStep(_StepCommon):
    """Ask one question; the answer is kept under the step id."""

    kind: Literal["ask"] = "ask"
    question: QuestionKind
    text: Text = field(metadata=_written_as("text"))
    choices: tuple[Choice, ...] = ()
    max_length: int = 400
    optional: bool = False
    prefer: str = "future"
    describes_case: bool = False
    hint: str | None = None
    why: str | None = None
    example: str | None = None


@dataclass(frozen=True, kw_only=True)
class SetStep(_StepCommon):
    """Keep the value of ``expression`` under the step id."""

    kind: Literal["set"] = "set"
    expression: Condition = field(metadata=_written_as("set"))


@dataclass(frozen=True, kw_only=True)
class CallStep(_StepCommon):
    """Run the flow ``callee`` with ``inputs``; its answers live under the step id."""

    kind: Literal["call"] = "call"
    callee: str
    inputs: tuple[tuple[str, Condition], ...] = field(default=(), metadata=_written_as("with"))


@dataclass(frozen=True, kw_only=True)
class ForeachStep(_StepCommon):
    """Run the block ``body`` once per item of ``over`` (that ``where`` lets through)."""

    kind: Literal["foreach"] = "foreach"
    over: Condition = field(metadata=_written_as("foreach"))
    loop_var: str
    where: Condition | None = field(default=None, metadata=_written_as("where"))
    body: str


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
