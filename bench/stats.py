"""Figures measured over several rounds: the median, and the min–max around it.

Every figure is measured once per round, and the rounds interleave the
scenarios, so a slow minute on a noisy machine slows every scenario alike
instead of one. Ratios are taken per round (both sides measured in the same
round), then summarised the same way.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


@dataclass
class Figure:
    """One measured quantity: a sample per round."""

    unit: str
    samples: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.samples.append(value)

    @property
    def ok(self) -> bool:
        return bool(self.samples) and all(math.isfinite(s) for s in self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def low(self) -> float:
        return min(self.samples) if self.samples else math.nan

    @property
    def high(self) -> float:
        return max(self.samples) if self.samples else math.nan


def ratio(top: Figure, bottom: Figure) -> Figure:
    """``top / bottom`` per round (the rounds both have)."""
    out = Figure("×")
    for a, b in zip(top.samples, bottom.samples, strict=False):
        out.add(a / b if b else math.nan)
    return out


def fmt(value: float, unit: str = "") -> str:
    """A number for the table: 3 significant digits, thousands with a thin space."""
    if not math.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        text = f"{value:,.0f}".replace(",", "\u202f")
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip() if unit and unit != "×" else text


def spread(figure: Figure) -> str:
    """``low–high`` of a figure."""
    return f"{fmt(figure.low)}–{fmt(figure.high)}"
