"""The universal words and the review: what works at every question.

``nood``, ``hulp``, ``uitleg``, ``kennis``, ``start``, ``verder``, ``stop``,
``opnieuw``/``nieuw`` (after a confirmation), ``terug`` (one step back along
the user's real history), and at the review ``klaar`` or ``wijzig N``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.engine import texts
from bot.engine.answers import pick_choice
from bot.engine.messages import Choice, Say
from bot.engine.state import Mode, Replay, State
from bot.engine.walker import BACK_KEY, DONE_KEY, Walker, join_path

WIJZIG = re.compile(r"^(?:wijzig|wijzigen|verander|aanpassen)\s*(\d+)?$")
PAGE_LIMIT = 600
"""The longest message a phone shows comfortably."""
_KENNIS = re.compile(r"^(?:kennis|/kennis)(?:\s+(.+))?$")


def universal(run: Walker, state: State, word: str) -> State | None:
    """Words that work everywhere. Returns None when ``word`` is not one of them."""
    in_flow = state.mode is not Mode.IDLE
    if word == "nood":
        run.replies.append(Say(texts.NOOD.format(achterwacht=run.book.org.achterwacht)))
        run.replies.append(run.prompt(state))
        return state
    if word in ("hulp", "help", "?", "/hulp", "/help"):
        run.replies.append(Say(help_text(run, state)))
        if not state.ended:
            run.replies.append(run.prompt(state))
        return state
    if word == "uitleg":
        article = None
        if state.mode is Mode.ASKING and state.stack:
            article_id = run.step_of(state.stack[-1]).help
            article = run.ctx.knowledge.get(article_id) if article_id else None
        if article is None:
            run.replies.append(Say(texts.NO_ARTICLE_HERE))
            run.replies.append(run.prompt(state))
            return state
        return read(run, state, article.id)
    if word == texts.MORE_KEY:
        reading = state.reading or _help_article(run, state)
        if reading is not None:
            return read_more(run, state, reading)
    kennis = _KENNIS.match(word)
    if kennis:
        return _knowledge(run, state, kennis.group(1))
    if word in ("start", "begin", "menu", "hallo", "hoi"):
        if not in_flow:
            if not state.ended:
                run.replies.append(Say(run.welcome()))
            fresh = replace(state, ended=False)
            run.replies.append(run.menu(fresh))
            return fresh
        return resume(run, state)
    if word == "verder":
        if state.ended:
            run.replies.append(Say(texts.ENDED))
            return state
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
            fresh = replace(state, ended=False)
            run.replies.append(run.menu(fresh))
            return fresh
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
        if state.mode is Mode.REVIEW and state.section:
            return open_section(run, state, 0)
        return back(run, state)
    if WIJZIG.match(word) and state.mode is not Mode.REVIEW:
        run.replies.append(Say(texts.WIJZIG_ONLY_IN_REVIEW))
        run.replies.append(run.prompt(state))
        return state
    return None


def help_text(run: Walker, state: State) -> str:
    """``hulp``: why the open question is asked, an example answer, then the commands."""
    lines = []
    if state.mode is Mode.ASKING and state.stack:
        step = run.question_step(state.stack[-1])
        if step.why:
            lines.append(texts.HELP_WHY.format(why=step.why.strip()))
        if step.example:
            lines.append(texts.HELP_EXAMPLE.format(example=step.example.strip()))
        if not lines:
            lines.append(texts.HELP_HOW.format(hint=run.question(state).hint))
    elif state.mode is Mode.REVIEW:
        lines.append(texts.HELP_HOW.format(hint=run.review_ask(state).hint))
    elif state.ended:
        lines.append(texts.ENDED)
    full = "\n\n".join([*lines, texts.HELP_COMMON])
    if len(full) <= PAGE_LIMIT:
        return full
    # A long "why" or example: the commands as one short line, the rest cut to fit.
    short = texts.HELP_SHORT
    room = PAGE_LIMIT - len(short) - 2 * len(lines)
    per = room // max(len(lines), 1)
    return "\n\n".join([*(_cut(line, per) for line in lines), short])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _pages(run: Walker, reading: str) -> list[str]:
    """The pages of an article, or of the list of all articles."""
    kb = run.ctx.knowledge
    if reading == texts.KNOWLEDGE_LIST_ID:
        lines = [f"• {a.title} (kennis {a.id})" for a in kb.all()]
        pages: list[str] = []
        page = texts.KNOWLEDGE_LIST
        for line in lines:
            if len(page) + 1 + len(line) > PAGE_LIMIT - 20:  # room for "meer"
                pages.append(page)
                page = line
            else:
                page = f"{page}\n{line}"
        return [*pages, page]
    article = kb.get(reading)
    return list(article.pages()) if article is not None else []


def read(run: Walker, state: State, reading: str, extra: str = "") -> State:
    """Show the opening of an article (or of the list), with "meer" if more follows,
    then the open question again. ``uitleg`` leaves the state as it was: "meer"
    finds the question's own article again."""
    pages = _pages(run, reading)
    text = pages[0] if pages else texts.NO_MORE
    if extra and len(text) + 2 + len(extra) <= PAGE_LIMIT:
        text = f"{text}\n\n{extra}"
    more = len(pages) > 1
    actions = (Choice(texts.MORE_KEY, texts.MORE_LABEL),) if more else ()
    article = None if reading == texts.KNOWLEDGE_LIST_ID else reading
    run.replies.append(Say(text, article=article, actions=actions))
    new = state
    if reading != _help_article(run, state):
        new = replace(state, reading=reading if more else None)
    if not new.ended:
        run.replies.append(run.prompt(new))
    return new


def read_more(run: Walker, state: State, reading: str) -> State:
    """ "meer": the rest of the article, in messages of at most 600 characters."""
    pages = _pages(run, reading)[1:]
    article = None if reading == texts.KNOWLEDGE_LIST_ID else reading
    for page in pages or [texts.NO_MORE]:
        run.replies.append(Say(page, article=article))
    new = replace(state, reading=None) if state.reading else state
    if not new.ended:
        run.replies.append(run.prompt(new))
    return new


def _help_article(run: Walker, state: State) -> str | None:
    if state.mode is Mode.ASKING and state.stack:
        return run.step_of(state.stack[-1]).help
    return None


def _knowledge(run: Walker, state: State, query: str | None) -> State:
    kb = run.ctx.knowledge
    if not query:
        if not kb.all():
            run.replies.append(Say(texts.KNOWLEDGE_MISSING))
            run.replies.append(run.prompt(state))
            return state
        return read(run, state, texts.KNOWLEDGE_LIST_ID)
    found = kb.search(query)
    if not found:
        run.replies.append(Say(texts.KNOWLEDGE_NONE.format(query=query)))
        run.replies.append(run.prompt(state))
        return state
    extra = ""
    if len(found) > 1:
        extra = texts.SEE_ALSO.format(ids=", ".join(f"kennis {a.id}" for a in found[1:4]))
    return read(run, state, found[0].id, extra)


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
    return run.start_flow(State(serial=state.serial + 1), state.flow or "", welcomed=True)


def review_answer(run: Walker, state: State, word: str) -> State:
    """At the review: open a section, change one of its answers, or finish.

    ``wijzig N`` (N counted over all answers, in the order given) keeps working
    for people who type it.
    """
    if word in (DONE_KEY, "ja", "ok", "klopt", "afronden"):
        return run.finish(state)
    answered = run.answered(state)
    match = WIJZIG.match(word)
    if match is not None and match.group(1):
        n = int(match.group(1))
        if not 1 <= n <= len(answered):
            error = texts.REVIEW_BAD_NUMBER.format(n=n, max=len(answered))
            run.replies.append(run.review_ask(state, error))
            return state
        return change(run, state, n)
    ask = run.review_ask(state)
    if match is not None:  # a bare "wijzig": say how
        hint = texts.SECTION_HINT if state.section else texts.REVIEW_HINT
        run.replies.append(replace(ask, error=hint))
        return state
    picked = pick_choice(word, ask.choices).choice
    if picked is None:
        run.replies.append(replace(ask, error=texts.ERR_CHOICE))
        return state
    if picked.key == DONE_KEY:
        return run.finish(state)
    if picked.key == BACK_KEY:
        return open_section(run, state, 0)
    kind, _, number = picked.key.partition("-")
    if kind == "deel":
        return open_section(run, state, int(number))
    return change(run, state, int(number))


def open_section(run: Walker, state: State, section: int) -> State:
    new = replace(state, section=section, serial=state.serial + 1)
    run.replies.append(run.review_ask(new))
    return new


def change(run: Walker, state: State, n: int) -> State:
    """Go back to answer ``n``; later answers are kept unless they depend on it."""
    entry = run.answered(state)[n - 1]
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
        section=0,
    )
    run.replies.append(run.question(new, note=texts.CHANGED_KEPT))
    return new
