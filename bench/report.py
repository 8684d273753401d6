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
    stretch: str = ""
    stretch_met: bool | None = None


REASONS: dict[str, str] = {
    "sendMessage": "a message: the echo, a question, or a text said before a question",
    "answerCallbackQuery": "acknowledges a button press (Telegram shows a spinner until then)",
    "editMessageText": "rewrites the pressed message: the answer shown, the next window, "
    "or the buttons taken away",
    "editMessageReplyMarkup": "redraws only the buttons (a tick in a multiple-choice question)",
    "sendDocument": "the vastlegging file at the end of the flow",
}
"""Why a bot makes each kind of Bot API call (issue 15: each call with its reason)."""

SCENARIO_REASONS: dict[tuple[str, str], str] = {
    ("a", "sendMessage"): "the echo of each message",
    ("b", "sendMessage"): "the next question of the form, with its keyboard",
    ("b", "answerCallbackQuery"): "acknowledges a button press",
    ("c", "sendMessage"): "the dialog's first window",
    ("c", "editMessageText"): "the dialog's next window, drawn over the last one",
    ("c", "answerCallbackQuery"): "acknowledges a button press",
    ("c", "editMessageReplyMarkup"): "the window's buttons redrawn after a selection",
    ("b", "editMessageText"): "the pressed question rewritten to show the answer",
    ("b", "editMessageReplyMarkup"): "the keyboard redrawn (a tick in the multiple choice)",
    ("d", "sendMessage"): "the next question, and each text said before it (its own message)",
    ("d", "answerCallbackQuery"): "acknowledges a button press",
    ("d", "editMessageText"): "the pressed question rewritten to show the answer, "
    "its buttons taken away",
    ("d", "editMessageReplyMarkup"): "a multiple-choice question's buttons with the tick",
    ("d", "sendDocument"): "the vastlegging file",
}


def _met(value: float, limit: float, *, strict: bool = False) -> bool | None:
    if not math.isfinite(value):
        return None
    return value < limit if strict else value <= limit


def rss_figures(results: Results, *, spread: bool = False) -> tuple[Figure, Figure, Figure]:
    before, after, growth = Figure("MB"), Figure("MB"), Figure("MB")
    for r in results.rss_spread if spread else results.rss:
        before.add(r.before_kib * 1024 / MB)
        after.add(r.after_kib * 1024 / MB)
        growth.add((r.after_kib - r.before_kib) * 1024 / MB)
    return before, after, growth


def _ratio_target(
    what: str, r: Figure | None, limit: float, stretch: float | None = None
) -> Target:
    if r is None or not r.ok:
        return Target(what, f"≤ {limit}", "not measured", None, _limit(stretch))
    return Target(
        what,
        f"≤ {limit}",
        f"{fmt(r.median)} ({spread(r)})",
        _met(r.median, limit),
        _limit(stretch),
        None if stretch is None else _met(r.median, stretch),
    )


def _limit(value: float | None) -> str:
    return "" if value is None else f"≤ {value}"


def targets(results: Results) -> list[Target]:
    out: list[Target] = []
    tg = results.telegram
    echo = tg.get("a")
    for top, bottom, limit, stretch in RATIOS:
        if limit is None:
            continue
        what = f"{top}/{bottom}: {SCENARIOS[top]} vs {SCENARIOS[bottom]}, per update"
        both = top in tg and bottom in tg
        out.append(
            _ratio_target(what, ratio(tg[top], tg[bottom]) if both else None, limit, stretch)
        )
    out.append(
        _ratio_target(
            "engine step alone (median over the shipped flows) / echo update (a)",
            ratio(results.engine_median, echo) if echo else None,
            0.25,
            0.15,
        )
    )
    sqlite = results.store.get("sqlite")
    out.append(
        _ratio_target(
            "store work per step on SQLite (load + save, warm) / echo update (a)",
            ratio(sqlite, echo) if sqlite and echo else None,
            0.5,
            0.3,
        )
    )
    chat = results.startup.get("chat")
    out.append(
        Target(
            "`voorkomen chat`: command to first question",
            "< 1 s",
            fmt(chat.median, "s") if chat and chat.ok else "not measured",
            _met(chat.median, 1.0, strict=True) if chat and chat.ok else None,
        )
    )
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
    out.append(
        _ratio_target(
            f"load and check the {results.flow_load_steps:,}-step flow (bot process)"
            " / libyaml composing the same files",
            ratio(results.flow_load, results.flow_compose),
            10,
        )
    )
    out += matrix_targets(results)
    _, _, growth = rss_figures(results)
    out.append(
        Target(
            f"RSS growth, {cfg.rss_conversations:,} conversations in progress",
            "< 10 MB",
            fmt(growth.median, "MB"),
            _met(growth.median, 10, strict=True),
        )
    )
    _, _, spread_growth = rss_figures(results, spread=True)
    out.append(
        Target(
            f"RSS growth, {cfg.rss_conversations:,} conversations over"
            f" {cfg.rss_organisations} organisations",
            "< 10 MB",
            fmt(spread_growth.median, "MB"),
            _met(spread_growth.median, 10, strict=True),
        )
    )
    return out


def _yes(met: bool | None) -> str:
    return "–" if met is None else ("yes" if met else "**no**")


def call_rows(results: Results) -> list[str]:
    """Per scenario and method: Bot API calls per update, and why."""
    lines: list[str] = []
    for key in SCENARIOS:
        calls, updates = results.telegram_calls.get(key), results.telegram_measured.get(key)
        if not calls or not updates:
            continue
        total = sum(calls.values()) / updates
        lines.append(_row(key, "**all**", f"**{fmt(total)}**", ""))
        for method, n in calls.most_common():
            own = "d" if key == "e" else key  # (e) is (d) on another database
            reason = SCENARIO_REASONS.get((own, method), REASONS.get(method, ""))
            lines.append(_row(key, f"`{method}`", fmt(n / updates), reason))
    return lines


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
        "Issue 15: every speed target is a ratio to a figure of the same run (absolute"
        " times on this shared machine swing by 4× from one hour to the next).",
        "",
        _row("target", "limit", "measured: median (min–max)", "met", "stretch", "met"),
        _row("---", "---", "---", "---", "---", "---"),
    ]
    for t in targets(results):
        stretch_met = _yes(t.stretch_met) if t.stretch else ""
        lines.append(_row(t.what, t.limit, t.measured, _yes(t.met), t.stretch, stretch_met))

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
    for top, bottom, limit, _stretch in RATIOS:
        if top in results.telegram and bottom in results.telegram:
            r = ratio(results.telegram[top], results.telegram[bottom])
            target = f"≤ {limit}" if limit else ""
            lines.append(_row(f"{top}/{bottom}", fmt(r.median), spread(r), target))
        else:
            lines.append(_row(f"{top}/{bottom}", "–", "–", "not measured"))
    lines += [
        "",
        "Bot API calls per update, by method, over every measured update; why each is made.",
        "",
        _row("", "call", "per update", "why"),
        _row("---", "---", "---:", "---"),
        *call_rows(results),
    ]

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
    lines.append(
        _row(
            "median over the shipped flows",
            fmt(results.engine_median.median),
            spread(results.engine_median),
            "",
        )
    )
    lines += store_section(results)

    lines += [
        "",
        "## 4. Step time against a full database",
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
        "## 5. Loading a big flow",
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
        _row(
            "libyaml (`CSafeLoader`) composing the same files, this process",
            fmt(results.flow_compose.median),
            spread(results.flow_compose),
        ),
        _row(
            "ratio: this process / libyaml",
            fmt(ratio(results.flow_load, results.flow_compose).median),
            spread(ratio(results.flow_load, results.flow_compose)),
        ),
        "",
        "## 6. Memory of a running bot",
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
        *_spread_rows(results),
        "",
        *startup_section(results),
        *matrix_section(results),
        "## Machine",
        "",
        _row("", ""),
        _row("---", "---"),
    ]
    for name, value in results.machine.items():
        lines.append(_row(name, value))
    lines.append("")
    return "\n".join(lines)


def store_section(results: Results) -> list[str]:
    cfg = results.config
    lines = [
        "",
        "## 3. The store alone",
        "",
        "`SqlStore.run_step` per step: load the conversation and save its next state"
        " (the states of one walk of the main flow, made by the engine beforehand),"
        f" sealed, the answer log written as a diff; {cfg.store_walks} walks of"
        f" {results.store_steps} steps per round, each in a new chat, warm"
        " (`bench/store.py`).",
        "",
        _row("database", "µs per step", "min–max", "/ echo update (a)"),
        _row("---", "---:", "---:", "---:"),
    ]
    echo = results.telegram.get("a")
    for name, f in results.store.items():
        r = ratio(f, echo) if echo else Figure("×")
        lines.append(_row(name, fmt(f.median), spread(f), fmt(r.median)))
    sqlite, pg = results.store.get("sqlite"), results.store.get("postgresql")
    if sqlite and pg:
        r = ratio(pg, sqlite)
        lines.append(_row("postgresql / sqlite", fmt(r.median), spread(r), ""))
    return lines


def startup_section(results: Results) -> list[str]:
    chat, aiogram = results.startup.get("chat"), results.startup.get("aiogram")
    if not chat or not aiogram:
        return []
    telegram = results.startup.get("telegram")
    if telegram is not None:
        telegram_row = _row(
            "`voorkomen telegram` to ready (long polling)", fmt(telegram.median), spread(telegram)
        )
    else:
        reason = results.skipped.get("telegram start-up", "not measured")
        telegram_row = _row("`voorkomen telegram` to ready (long polling)", "–", reason)
    return [
        "## 7. Start-up",
        "",
        f"Fresh processes, {len(chat.samples)} of each, interleaved (`bench/startup.py`):"
        " `voorkomen chat` (`python -m bot chat`, on a database made by an untimed first"
        " run) from spawning it until its first question is on standard output;"
        " `voorkomen telegram` (`python -m bot.cli.telegram`, long polling against the"
        " Bot API emulator of the end-to-end tests, the same database) until it logs that"
        ' it is ready (introduced to the Bot API, polling); and `python -c "import aiogram"`'
        " to its exit.",
        "",
        _row("", "s (median)", "min–max"),
        _row("---", "---:", "---:"),
        _row("`voorkomen chat` to first question", fmt(chat.median), spread(chat)),
        telegram_row,
        _row('`python -c "import aiogram"`', fmt(aiogram.median), spread(aiogram)),
        "",
    ]


MATRIX_MODES = (("plain", "plain"), ("e2e", "end-to-end encrypted"))


def matrix_targets(results: Results) -> list[Target]:
    """Voorkomen's Matrix round trip / the bare matrix-nio echo's, plain and encrypted."""
    out = []
    for mode, words in MATRIX_MODES:
        what = f"Matrix reply round trip, {words}: Voorkomen / bare matrix-nio echo bot"
        m = results.matrix
        r = ratio(m.figures[f"voorkomen {mode}"], m.figures[f"echo {mode}"]) if m else None
        out.append(_ratio_target(what, r, 1.2))
    return out


def matrix_section(results: Results) -> list[str]:
    m = results.matrix
    head = ["## 8. Matrix round trips", ""]
    if m is None:
        return [*head, results.skipped.get("matrix", "Not measured."), ""]
    rounds = len(m.figures["echo plain"].samples)
    lines = [
        *head,
        "The test Synapse (`tests/peers/synapse.py`); Voorkomen's `MatrixChannel` with the"
        " real app on SQLite, and a bare matrix-nio echo bot, on the same server in the"
        f" same process (`bench/matrix.py`). {rounds} interleaved rounds of {m.messages}"
        " messages to each; a round trip is from the user sending a line until the"
        " bot's first reply reaches the user's client; per round the median.",
        "",
        _row("", "ms (median)", "min–max"),
        _row("---", "---:", "---:"),
    ]
    for key, f in m.figures.items():
        lines.append(_row(key, fmt(f.median), spread(f)))
    for mode, words in MATRIX_MODES:
        r = ratio(m.figures[f"voorkomen {mode}"], m.figures[f"echo {mode}"])
        lines.append(_row(f"ratio Voorkomen / echo, {words}", fmt(r.median), spread(r)))
    return [*lines, ""]


def _spread_rows(results: Results) -> list[str]:
    if not results.rss_spread:
        return []
    before, after, growth = rss_figures(results, spread=True)
    n = results.config.rss_organisations
    return [
        _row(f"RSS before, members of {n} organisations", fmt(before.median), spread(before)),
        _row(
            f"RSS with {results.config.rss_conversations:,} in progress over {n} organisations",
            fmt(after.median),
            spread(after),
        ),
        _row(f"growth, {n} organisations", fmt(growth.median), spread(growth)),
    ]
