"""The load test's section of ``bench/RESULTS.md`` (issue 14), and putting it in.

The section sits between two HTML comments, so ``python -m bench --load-only``
can replace it in a RESULTS.md written by a full run and leave the rest alone
(or add it at the end when there is none yet).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from bench.load import LoadResults, LoadRun
from bench.stats import fmt

BEGIN = "<!-- load test: begin (python -m bench --load-only rewrites this part) -->"
END = "<!-- load test: end -->"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _met(value: int) -> str:
    return "yes" if value == 0 else "**no**"


def render_load(results: LoadResults) -> str:
    """The section, between its markers."""
    cfg = results.config
    lines = [
        BEGIN,
        "## 9. Load: many professionals at once (issue 14)",
        "",
    ]
    if results.skipped:
        lines += [f"Not measured: {results.skipped}", "", END]
        return "\n".join(lines)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines += [
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {results.seconds:.0f} s (load"
        f" average at the end: {load}). {cfg.professionals} simulated professionals at once,"
        " each walking the main flow (`dilemma`) from `/start` to the vastlegging file"
        " through the Telegram Bot API emulator, the webhook and a round-robin reverse"
        " proxy (`bench/proxy.py`) to `voorkomen telegram` worker processes on one"
        " PostgreSQL (one fresh database; each run has professionals of its own, and the"
        " 2-worker run adds a worker to the first). Each professional waits for the reply"
        " before the next answer. A reply time runs from the emulator accepting the update"
        " to the bot's answer to it being at the emulator (the emulator's clock). How each"
        " check is counted: [README.md](README.md#9-load-test). Bot API calls retried: calls"
        " a worker made again after a network error or a 429 (its log); a retried call"
        " that had arrived the first time would show as a duplicate.",
        "",
        _row(
            "workers",
            "professionals",
            "walks finished",
            "updates",
            "median reply (ms)",
            "p99 reply (ms)",
            "updates/s",
            "lost",
            "duplicates",
            "out of order",
            "Bot API calls retried",
        ),
        _row(*["---:"] * 11),
    ]
    for run in results.runs:
        v = run.verdict
        lines.append(
            _row(
                str(run.workers),
                str(run.professionals),
                str(run.walks_finished),
                str(run.updates),
                fmt(run.median_ms),
                fmt(run.p99_ms),
                fmt(run.updates_per_second),
                str(v.lost),
                str(v.duplicates),
                str(v.out_of_order),
                str(run.retried),
            )
        )
    lines += ["", _row("target", "workers", "measured", "met"), _row("---", "---:", "---:", "---")]
    for run in results.runs:
        lines += _targets(run)
    problems = [p for run in results.runs for p in run.verdict.problems]
    if problems:
        lines += ["", "What the checks found (the first 20):", ""]
        lines += [f"- {p}" for p in problems[:20]]
    lines += ["", END]
    return "\n".join(lines)


def _targets(run: LoadRun) -> list[str]:
    v = run.verdict
    walks = f"{v.walks_with_one_record} of {run.professionals}"
    saved = f"{v.answers_stored} of {v.answers_sent}"
    return [
        _row("answers lost = 0", str(run.workers), str(v.lost), _met(v.lost)),
        _row("duplicates = 0", str(run.workers), str(v.duplicates), _met(v.duplicates)),
        _row("out of order = 0", str(run.workers), str(v.out_of_order), _met(v.out_of_order)),
        _row(
            "every walk ended with exactly one record",
            str(run.workers),
            walks,
            _met(run.professionals - v.walks_with_one_record),
        ),
        _row(
            "every update saved once (PostgreSQL)",
            str(run.workers),
            saved,
            _met(v.answers_sent - v.answers_stored),
        ),
    ]


def splice(existing: str, section: str) -> str:
    """``existing`` with its load section replaced by ``section`` (added if absent)."""
    start, end = existing.find(BEGIN), existing.find(END)
    if start == -1 or end == -1 or end < start:
        return existing.rstrip("\n") + "\n\n" + section + "\n"
    return existing[:start] + section + existing[end + len(END) :]
