"""The universal words and the review: what works at every question.

``nood``, ``hulp``, ``uitleg``, ``kennis``, ``start``, ``verder``, ``stop``,
``opnieuw``/``nieuw`` (after a confirmation), ``terug`` (one step back along
the user's real history), and at the review ``klaar`` or ``wijzig N``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.engine import texts
from bot.engine.messages import Say
from bot.engine.state import Mode, Replay, State
from bot.engine.walker import DONE_KEY, Walker, join_path

WIJZIG = re.compile(r"^(?:wijzig|wijzigen|verander)\s*(\d+)$")
_KENNIS = re.compile(r"^(?:kennis|/kennis)(?:\s+(.+))?$")


def universal(run: Walker, state: State, word: str) -> State | None:
    """Words that work everywhere. Returns None when ``word`` is not one of them."""
    in_flow = state.mode is not Mode.IDLE
    if word == "nood":
        run.replies.append(Say(texts.NOOD.format(achterwacht=run.book.org.achterwacht)))
        run.replies.append(run.prompt(state))
        return state
    if word in ("hulp", "help", "?"):
        lines = []
        if state.mode is Mode.ASKING:
            lines.append(run.question(state).hint)
        lines.append(texts.HELP_COMMON)
        run.replies.append(Say("\n\n".join(lines)))
        run.replies.append(run.prompt(state))
        return state
    if word == "uitleg":
        article = None
        if state.mode is Mode.ASKING and state.stack:
            article_id = run.step_of(state.stack[-1]).help
            article = run.ctx.knowledge.get(article_id) if article_id else None
        run.replies.append(Say(article.as_message() if article else texts.NO_ARTICLE_HERE))
        run.replies.append(run.prompt(state))
        return state
    kennis = _KENNIS.match(word)
    if kennis:
        run.replies.append(Say(_knowledge(run, kennis.group(1))))
        run.replies.append(run.prompt(state))
        return state
    if word in ("start", "begin", "menu", "hallo", "hoi"):
        if not in_flow:
            run.replies.append(Say(run.welcome()))
            run.replies.append(run.menu(state))
            return state
        return resume(run, state)
    if word == "verder":
        if in_flow:
            return resume(run, state)
        run.replies.append(Say(texts.NO_FLOW))
        run.replies.append(run.menu(state))
        return state
    if word == "stop":
        if not in_flow or state.mode is Mode.PAUSED:
            run.replies.append(Say(texts.STOPPED if in_flow else texts.NO_FLOW))
            return state
        run.replies.append(Say(texts.STOPPED))
        back_to = state.resume_mode if state.mode is Mode.CONFIRM_RESTART else state.mode
        return replace(state, mode=Mode.PAUSED, resume_mode=back_to, serial=state.serial + 1)
    if word in ("opnieuw", "nieuw", "/nieuw"):
        if not in_flow:
            run.replies.append(Say(run.welcome()))
            run.replies.append(run.menu(state))
            return state
        back_to = (
            state.resume_mode if state.mode in (Mode.PAUSED, Mode.CONFIRM_RESTART) else state.mode
        )
        new = replace(
            state,
            mode=Mode.CONFIRM_RESTART,
            resume_mode=back_to,
            confirm=word,
            serial=state.serial + 1,
        )
        run.replies.append(run.confirm_ask(new))
        return new
    if word == "terug":
        return back(run, state)
    if WIJZIG.match(word) and state.mode is not Mode.REVIEW:
        run.replies.append(Say(texts.WIJZIG_ONLY_IN_REVIEW))
        run.replies.append(run.prompt(state))
        return state
    return None


def _knowledge(run: Walker, query: str | None) -> str:
    kb = run.ctx.knowledge
    if not query:
        articles = kb.all()
        if not articles:
            return texts.KNOWLEDGE_MISSING
        lines = [texts.KNOWLEDGE_LIST] + [f"• {a.title} (kennis {a.id})" for a in articles]
        return "\n".join(lines)
    found = kb.search(query)
    if not found:
        return texts.KNOWLEDGE_NONE.format(query=query)
    text = found[0].as_message()
    if len(found) > 1:
        text += "\n\nZie ook: " + ", ".join(f"kennis {a.id}" for a in found[1:4])
    return text


def resume(run: Walker, state: State) -> State:
    mode = state.mode
    if mode in (Mode.PAUSED, Mode.CONFIRM_RESTART):
        mode = state.resume_mode or Mode.ASKING
    new = replace(state, mode=mode, resume_mode=None, confirm=None)
    run.replies.append(Say(texts.RESUME_PROMPT.format(flow=run.flow_title(state))))
    run.replies.append(run.prompt(new))
    return new


def back(run: Walker, state: State) -> State:
    if state.mode in (Mode.IDLE, Mode.PAUSED, Mode.CONFIRM_RESTART):
        run.replies.append(run.prompt(state, texts.ERR_NOT_NOW))
        return state
    answered = [i for i, e in enumerate(state.log) if e.answered]
    if not answered:
        run.replies.append(Say(texts.BACK_AT_START))
        run.replies.append(run.prompt(state))
        return state
    idx = answered[-1]
    entry = state.log[idx]
    new = replace(
        state,
        mode=Mode.ASKING,
        stack=entry.stack,
        log=state.log[:idx],
        serial=state.serial + 1,
        selection=(),
        previous={join_path(entry.path): entry.value},
    )
    run.replies.append(run.question(new))
    return new


def confirm_answer(run: Walker, state: State, answer: str | None) -> State:
    if answer is None:
        run.replies.append(replace(run.confirm_ask(state), error=texts.ERR_YESNO))
        return state
    if answer == "nee":
        return resume(run, state)
    if state.confirm == "nieuw" or state.flow not in run.book.flows:
        fresh = State(mode=Mode.IDLE, serial=state.serial + 1)
        run.replies.append(run.menu(fresh))
        return fresh
    return run.start_flow(State(serial=state.serial + 1), state.flow or "")


def review_answer(run: Walker, state: State, word: str) -> State:
    if word in (DONE_KEY, "ja", "ok", "klopt", "afronden"):
        return run.finish(state)
    match = WIJZIG.match(word)
    answered = run.answered(state)
    if match is None:
        run.replies.append(run.review_ask(state, texts.REVIEW_HINT))
        return state
    n = int(match.group(1))
    if not 1 <= n <= len(answered):
        run.replies.append(
            run.review_ask(state, texts.REVIEW_BAD_NUMBER.format(n=n, max=len(answered)))
        )
        return state
    entry = answered[n - 1]
    idx = state.log.index(entry)
    pool = {join_path(e.path): [e.value, e.kind.value] for e in state.log}
    new = replace(
        state,
        mode=Mode.ASKING,
        stack=entry.stack,
        log=state.log[:idx],
        replay=Replay(pool, ()),
        serial=state.serial + 1,
        selection=(),
    )
    run.replies.append(Say(texts.CHANGED_KEPT))
    run.replies.append(run.question(new))
    return new
