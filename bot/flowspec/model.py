"""The shape of a flow file, as pydantic 2 models (phase one of validation).

A step's kind is told by which key it has (``say``, ``advise``, ``ask``,
``set``, ``call``, ``foreach``, ``end``); each kind has its own model with
``extra="forbid"``, so a misspelt key is reported where it stands. Graph
rules (dangling jumps, unreachable steps, variables read before they are
set) are phase two, in :mod:`bot.flowspec.compile`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

StepId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
FlowId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]
ArticleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
TemplateName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]

STEP_KINDS = ("say", "advise", "ask", "set", "call", "foreach", "end")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Branch(_Strict):
    """One way out of a step: taken when ``when`` holds (or always, if absent)."""

    when: NonEmpty | None = None
    goto: StepId


class _StepBase(_Strict):
    id: StepId
    when: NonEmpty | None = None
    next: StepId | list[Branch] | None = None
    help: ArticleId | None = None


class SayStep(_StepBase):
    """Show a message and go on."""

    say: NonEmpty


class AdviseStep(_StepBase):
    """Show a recommendation; the vastlegging lists it with the answers that led to it."""

    advise: NonEmpty
    record: NonEmpty


class AskStep(_StepBase):
    """Ask one question; the answer is stored under the step id."""

    ask: Literal["choice", "multi", "yesno", "text", "date"]
    text: NonEmpty
    choices: dict[str, NonEmpty] | None = None
    choices_from: str | None = None
    max_length: int = Field(default=400, ge=1, le=2000)
    optional: bool = False
    prefer: Literal["future", "past"] = "future"
    describes_case: bool = False
    hint: str | None = None
    why: str | None = None
    """Why the question is asked (shown by ``hulp``), plain Dutch, one or two sentences."""
    example: str | None = None
    """An example answer (shown by ``hulp``)."""


class SetStep(_StepBase):
    """Compute a value once (an expression over earlier answers) and keep it under the step id."""

    set: NonEmpty


class CallStep(_StepBase):
    """Run another flow; its answers live under this step's id."""

    call: FlowId
    with_: dict[StepId, NonEmpty] = Field(default_factory=dict, alias="with")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ForeachStep(_StepBase):
    """Run the nested ``steps`` once per item of a list (a multiple-choice answer)."""

    foreach: NonEmpty
    as_: StepId = Field(alias="as")
    where: NonEmpty | None = None
    steps: list[dict[str, object]]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EndStep(_Strict):
    """End the flow. At the top level: show the draft, then finish with ``end`` as template."""

    id: StepId
    end: TemplateName
    when: None = None
    then: Annotated[str, StringConstraints(min_length=1, max_length=600)] | None = None
    """Plain text said after the vastlegging (at the top level), e.g. an offer."""
    then_choices: dict[str, Annotated[str, StringConstraints(min_length=1, max_length=24)]] = Field(
        default_factory=dict
    )
    """Quick replies under ``then``: the key is sent as typed text, the value is the label."""


AnyStep = SayStep | AdviseStep | AskStep | SetStep | CallStep | ForeachStep | EndStep

STEP_MODELS: dict[str, type[BaseModel]] = {
    "say": SayStep,
    "advise": AdviseStep,
    "ask": AskStep,
    "set": SetStep,
    "call": CallStep,
    "foreach": ForeachStep,
    "end": EndStep,
}


class FlowHeader(_Strict):
    """Everything in a flow file except its steps."""

    id: FlowId
    version: NonEmpty
    title: NonEmpty
    description: str | None = None
    menu: bool = True
    order: int = 50
    start: StepId | None = None
    inputs: list[StepId] = Field(default_factory=list)
    case_code: StepId | None = None
    steps: list[dict[str, object]]


class OrgSettings(_Strict):
    """``flows/organisatie.yaml``: what an organisation adapts without touching flows."""

    naam: NonEmpty = "de organisatie"
    achterwacht: NonEmpty = "de achterwacht van je eigen organisatie (zie het interne telefoonboek)"
    welkom: str | None = None
    vrije_tekst_zonder_versleuteling: bool = False
    bewaartermijn_dagen: int = Field(default=30, ge=1, le=3650)
    tijdzone: NonEmpty = "Europe/Amsterdam"  # reminders come at 09:00 here (bot.service.followup)
    # A colleague's confirmation of the vier-ogen overleg: after this many working
    # days without an answer the professional is reminded (bot.service.together.confirm).
    bevestigen_binnen_werkdagen: int = Field(default=2, ge=1, le=20)
    teksten: dict[str, str] = Field(default_factory=dict)
    lijsten: dict[str, dict[str, NonEmpty]] = Field(default_factory=dict)
