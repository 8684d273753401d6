"""``bench/RESULTS.md``: the tables of one run, its targets, and the machine it ran on."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.run import RATIOS, SCENARIOS, Results
from bench.stats import Figure, fmt, ratio, spread

MB = 1_000_000


@dataclass(frozen=True)
class Target:
    """One target of the issue and whether this run met it."""

    what: str
    limit: str
    measured: str
    met: bool | None  # None: not measured in this run


def _met(value: float, limit: float, *, strict: bool = False) -> bool | None:
    if not math.isfinite(value):
        return None
    return value < limit if strict else value <= limit


def rss_figures(results: Results) -> tuple[Figure, Figure, Figure]:
    before, after, growth = Figure("MB"), Figure("MB"), Figure("MB")
    for r in results.rss:
        before.add(r.before_kib * 1024 / MB)
        after.add(r.after_kib * 1024 / MB)
        growth.add((r.after_kib - r.before_kib) * 1024 / MB)
    return before, after, growth


def targets(results: Results) -> list[Target]:
    out: list[Target] = []
    tg = results.telegram
    for top, bottom, limit in RATIOS:
        if limit is None:
            continue
        what = f"{top}/{bottom}: {SCENARIOS[top]} vs {SCENARIOS[bottom]}"
        if top in tg and bottom in tg:
            r = ratio(tg[top], tg[bottom])
            out.append(Target(what, f"≤ {limit}", fmt(r.median), _met(r.median, limit)))
        else:
            out.append(Target(what, f"≤ {limit}", "not measured", None))
    cfg = results.config
    small, large = results.scale.get(cfg.stored_small), results.scale.get(cfg.stored_large)
    if small and large:
        r = ratio(large, small)
        out.append(
            Target(
                f"step time, {cfg.stored_large:,} vs {cfg.stored_small:,} stored conversations",
                "≤ 1.2",
                fmt(r.median),
                _met(r.median, 1.2),
            )
        )
    for figure, where in (
        (results.flow_load, "in a bot process"),
        (results.flow_load_check, "in `voorkomen flows check`"),
    ):
        out.append(
            Target(
                f"load and validate a {results.flow_load_steps:,}-step flow, {where}",
                "< 500 ms",
                fmt(figure.median, "ms"),
                _met(figure.median, 500, strict=True),
            )
        )
    _, _, growth = rss_figures(results)
    out.append(
        Target(
            f"RSS growth, {cfg.rss_conversations:,} conversations in progress",
            "< 10 MB",
            fmt(growth.median, "MB"),
            _met(growth.median, 10, strict=True),
        )
    )
    return out


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def render(results: Results) -> str:
    cfg = results.config
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m bench`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        f" in {results.seconds:.0f} s. How it measures, and what the profiles showed:"
        " [README.md](README.md).",
        "",
        f"{cfg.rounds} interleaved rounds in one process; each figure is the median over"
        " the rounds, with the lowest and highest round beside it. Ratios are taken per"
        " round, then summarised the same way.",
        "",
        "## Targets",
        "",
        _row("target", "limit", "measured (median)", "met"),
        _row("---", "---", "---", "---"),
    ]
    for t in targets(results):
        met = "–" if t.met is None else ("yes" if t.met else "**no**")
        lines.append(_row(t.what, t.limit, t.measured, met))

    lines += [
        "",
        "## 1. One Telegram update, in process",
        "",
        "`Update.model_validate` + `Dispatcher.feed_update`, with a Bot API session that"
        " answers every call locally (aiogram still serialises each call and parses"
        f" the answer). {cfg.conversations} whole conversations per scenario per round.",
        "",
        _row("", "scenario", "µs per update", "min–max", "updates per conversation"),
        _row("---", "---", "---:", "---:", "---:"),
    ]
    for key, label in SCENARIOS.items():
        if key in results.telegram:
            f = results.telegram[key]
            lines.append(
                _row(
                    key,
                    label,
                    fmt(f.median),
                    spread(f),
                    str(results.telegram_updates.get(key, "")),
                )
            )
        else:
            lines.append(_row(key, label, "–", "–", results.skipped.get(key, "not measured")))
    lines += ["", _row("ratio", "median", "min–max", "target"), _row("---", "---:", "---:", "---")]
    for top, bottom, limit in RATIOS:
        if top in results.telegram and bottom in results.telegram:
            r = ratio(results.telegram[top], results.telegram[bottom])
            target = f"≤ {limit}" if limit else ""
            lines.append(_row(f"{top}/{bottom}", fmt(r.median), spread(r), target))
        else:
            lines.append(_row(f"{top}/{bottom}", "–", "–", "not measured"))

    lines += [
        "",
        "## 2. The engine alone",
        "",
        "`begin` and `step` of `bot.engine.runner`, no channel, no storage; a user who"
        f" presses the first button or types a short answer. {cfg.engine_walks} walks"
        " per flow per round.",
        "",
        _row("flow", "µs per step", "min–max", "steps per walk"),
        _row("---", "---:", "---:", "---:"),
    ]
    for flow_id, f in results.engine.items():
        steps = str(results.engine_steps.get(flow_id, "")) if flow_id != "all" else ""
        name = "all shipped flows" if flow_id == "all" else f"`{flow_id}`"
        lines.append(_row(name, fmt(f.median), spread(f), steps))

    lines += [
        "",
        "## 3. Step time against a full database",
        "",
        "`ConversationService.handle` on SQLite holding N conversations halfway through"
        f" the main flow; {cfg.scale_conversations} of them, picked at random, are finished"
        " per round (the first step of each finds it cold).",
        "",
        _row("stored conversations", "µs per step", "min–max"),
        _row("---:", "---:", "---:"),
    ]
    for count, f in sorted(results.scale.items()):
        lines.append(_row(f"{count:,}", fmt(f.median), spread(f)))
    small, large = results.scale.get(cfg.stored_small), results.scale.get(cfg.stored_large)
    if small and large:
        r = ratio(large, small)
        lines.append(_row("ratio", fmt(r.median), spread(r)))

    before, after, growth = rss_figures(results)
    lines += [
        "",
        "## 4. Loading a big flow",
        "",
        f"`load_book` on a generated flow of {results.flow_load_steps:,} steps"
        " (`bench/flowgen.py`: every step kind, conditions, jumps) with the shipped"
        " organisation settings and templates: YAML, shapes, graph checks, compiling.",
        "",
        _row("where", "ms (median)", "min–max"),
        _row("---", "---:", "---:"),
        _row(
            "this process: aiogram and the other bots loaded, like a bot at start-up",
            fmt(results.flow_load.median),
            spread(results.flow_load),
        ),
        _row(
            "a fresh process shaped like `voorkomen flows check`",
            fmt(results.flow_load_check.median),
            spread(results.flow_load_check),
        ),
        "",
        "## 5. Memory of a running bot",
        "",
        "Resident set size of a fresh bot process (the app on SQLite, the Telegram"
        " channel) after warming up, and after starting"
        f" {cfg.rss_conversations:,} conversations in as many chats; {len(results.rss)}"
        " run(s), each in its own process.",
        "",
        _row("", "MB (median)", "min–max"),
        _row("---", "---:", "---:"),
        _row("RSS before", fmt(before.median), spread(before)),
        _row(f"RSS with {cfg.rss_conversations:,} in progress", fmt(after.median), spread(after)),
        _row("growth", fmt(growth.median), spread(growth)),
        "",
        "## Machine",
        "",
        _row("", ""),
        _row("---", "---"),
    ]
    for name, value in results.machine.items():
        lines.append(_row(name, value))
    lines.append("")
    return "\n".join(lines)
