"""``bench/offload.py`` runs (a tiny round); it asserts nothing about speed."""

from __future__ import annotations

import math

from bench.offload import measure


def test_the_offload_benchmark_measures_both_ways() -> None:
    inline, offloaded, ratio = measure(rounds=2, conversations=2)
    for figure in (inline, offloaded, ratio):
        assert math.isfinite(figure) and figure > 0
    assert math.isclose(ratio, offloaded / inline, rel_tol=1.0)
