"""The studio's HTML: plain server-rendered pages, usable by keyboard and on a phone.

Every control is a real link or button with a visible label; the focus is
always visible; a skip link leads past the menu; the layout is one column on
a narrow screen. No framework and no script are needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from bot.engine.messages import Ask, QuestionKind
from bot.flowdiff.compare import HEADINGS, Report
from bot.flowspec.errors import FlowProblem
from bot.flowspec.graph import Flow

CSS = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fff}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px}
header{background:#1e3a5f;color:#fff;padding:8px 16px}
header a{color:#fff;margin-right:16px}
main{max-width:60rem;margin:0 auto;padding:16px}
a{color:#0b4f9c}
:focus-visible{outline:3px solid #d97706;outline-offset:2px}
figure{margin:0}
.scroll{overflow:auto;border:1px solid #ccc;max-height:80vh}
.diagram svg{max-width:100%;height:auto}
.problems{border-left:4px solid #b91c1c;background:#fef2f2;padding:8px 16px}
ol.code{list-style:none;padding:0;font:14px/1.4 ui-monospace,monospace;overflow-x:auto}
ol.code li{display:grid;grid-template-columns:3.5em 1fr;gap:8px}
ol.code .num{color:#666;text-align:right;user-select:none}
ol.code code{white-space:pre-wrap;word-break:break-word}
ol.code li.bad{background:#fef2f2}
ol.code .problem{grid-column:2;color:#b91c1c;font-family:system-ui,sans-serif;margin:0 0 4px}
ol.chat{list-style:none;padding:0}
ol.chat li{margin:8px 0;padding:8px 12px;border-radius:8px;white-space:pre-wrap;max-width:40rem}
ol.chat li.bot{background:#f3f4f6}
ol.chat li.me{background:#dbeafe;margin-left:auto;width:fit-content}
.choices{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
button,input[type=text]{font:inherit;padding:8px 12px;min-height:44px}
button{border:1px solid #1e3a5f;background:#fff;border-radius:6px;cursor:pointer}
button[aria-pressed=true]{background:#1e3a5f;color:#fff}
.answer{display:flex;flex-wrap:wrap;gap:8px;align-items:end}
.answer label{display:block;width:100%}
.answer input{flex:1 1 12rem}
pre.doc{white-space:pre-wrap;background:#f9fafb;border:1px solid #ccc;padding:12px}
@media (max-width:40rem){main{padding:8px}header a{display:inline-block;margin:4px 12px 4px 0}}
"""


def page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Flow studio</title><style>{CSS}</style></head><body>"
        '<a class="skip" href="#main">Naar de inhoud</a>'
        '<header><nav aria-label="Hoofdmenu"><a href="/">Flows</a>'
        '<a href="/diff">Wat verandert er?</a></nav></header>'
        f'<main id="main" tabindex="-1">{body}</main></body></html>'
    )


def problem_list(problems: Iterable[FlowProblem]) -> str:
    items = []
    for p in problems:
        loc = p.location
        link = f"/file/{escape(loc.path)}#L{loc.line}"
        items.append(
            f'<li><a href="{link}">{escape(loc.path)}, regel {loc.line}</a>: '
            f"{escape(p.message)}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def index(folder: str, flows: list[Flow], files: list[str], problems: list[FlowProblem]) -> str:
    parts = [f"<h1>Flow studio</h1><p>Map: <code>{escape(folder)}</code></p>"]
    if problems:
        parts.append(
            '<section class="problems" aria-labelledby="problemen">'
            f'<h2 id="problemen">{len(problems)} probleem/problemen</h2>'
            "<p>De flows laden niet. Los dit eerst op; daarna zie je de diagrammen.</p>"
            f"{problem_list(problems)}</section>"
        )
    if flows:
        parts.append('<h2 id="flows">Flows</h2><ul>')
        for flow in flows:
            about = f" — {escape(flow.description)}" if flow.description else ""
            parts.append(
                f'<li><a href="/flow/{escape(flow.id)}">{escape(flow.title)}</a>{about}</li>'
            )
        parts.append("</ul>")
    parts.append('<h2 id="bestanden">Bestanden</h2><ul>')
    parts += [f'<li><a href="/file/{escape(name)}">{escape(name)}</a></li>' for name in files]
    parts.append("</ul>")
    return page("Flows", "".join(parts))


def flow_page(flow: Flow, diagram: str, is_svg: bool, file_name: str) -> str:
    shown = diagram if is_svg else f"<pre>{escape(diagram)}</pre>"
    body = (
        f"<h1>{escape(flow.title)}</h1>"
        + (f"<p>{escape(flow.description)}</p>" if flow.description else "")
        + '<figure class="diagram">'
        f'<div class="scroll" role="img" aria-label="Diagram van de flow {escape(flow.title)}">'
        f"{shown}</div><figcaption>Vragen, keuzes met hun voorwaarden, deelflows, "
        "adviezen en het einde.</figcaption></figure>"
        f'<p><a href="/file/{escape(file_name)}">Bekijk het bestand {escape(file_name)}</a></p>'
        '<h2 id="proberen">Proberen</h2>'
        f'<form method="post" action="/chat/start/{escape(flow.id)}">'
        "<p>Speel een gesprek met deze flow. Er wordt niets bewaard.</p>"
        '<button type="submit">Start een gesprek</button></form>'
    )
    return page(flow.title, body)


def file_page(name: str, text: str, problems: list[FlowProblem]) -> str:
    by_line: dict[int, list[FlowProblem]] = {}
    for p in problems:
        by_line.setdefault(p.location.line, []).append(p)
    rows = []
    for number, line in enumerate(text.splitlines() or [""], start=1):
        found = by_line.get(number, [])
        notes = "".join(
            f'<p class="problem" id="P{number}-{i}">Probleem (kolom {p.location.column}): '
            f"{escape(p.message)}</p>"
            for i, p in enumerate(found)
        )
        bad = ' class="bad"' if found else ""
        rows.append(
            f'<li id="L{number}"{bad}><span class="num">{number}</span>'
            f"<code>{escape(line) or ' '}</code>{notes}</li>"
        )
    summary = (
        f'<section class="problems" aria-labelledby="problemen"><h2 id="problemen">'
        f"{len(problems)} probleem/problemen in dit bestand</h2>{problem_list(problems)}</section>"
        if problems
        else "<p>Geen problemen in dit bestand.</p>"
    )
    body = f'<h1>{escape(name)}</h1>{summary}<ol class="code">{"".join(rows)}</ol>'
    return page(name, body)


def chat_page(
    flow_title: str,
    transcript: list[tuple[str, str]],
    ask: Ask | None,
    document: str | None,
    stored: int,
) -> str:
    items = "".join(
        f'<li class="{who}"><span class="who">{"Jij" if who == "me" else "Bot"}:</span> '
        f"{escape(text)}</li>"
        for who, text in transcript
    )
    parts = [
        f"<h1>Proberen: {escape(flow_title)}</h1>",
        f'<ol class="chat" aria-live="polite">{items}</ol>',
    ]
    if document is not None:
        parts.append(
            '<section aria-labelledby="vastlegging"><h2 id="vastlegging">Vastlegging</h2>'
            f'<pre class="doc">{escape(document)}</pre>'
            f"<p>Bewaard in de proef (niet in de database): {stored} vastlegging(en).</p></section>"
        )
    parts.append('<form method="post" action="/chat/send" class="reply">')
    if ask is not None:
        parts.append(f'<input type="hidden" name="qid" value="{escape(ask.question_id)}">')
        if ask.choices:
            pressed = set(ask.selected)
            buttons = "".join(
                f'<button type="submit" name="choice" value="{escape(c.key)}"'
                + (
                    f' aria-pressed="{"true" if c.key in pressed else "false"}"'
                    if ask.kind is QuestionKind.MULTI
                    else ""
                )
                + f">{escape(c.label)}</button>"
                for c in ask.choices
            )
            done = (
                '<button type="submit" name="done" value="1">Klaar met kiezen</button>'
                if ask.kind is QuestionKind.MULTI
                else ""
            )
            parts.append(
                f'<div class="choices" role="group" aria-label="Antwoorden">{buttons}{done}</div>'
            )
    parts.append(
        '<div class="answer"><label for="text">Je antwoord (of een woord als terug, hulp, '
        'klaar)</label><input type="text" id="text" name="text" autocomplete="off" autofocus>'
        '<button type="submit" name="send" value="1">Verstuur</button></div></form>'
        '<p><a href="/">Terug naar de flows</a></p>'
    )
    return page(f"Proberen: {flow_title}", "".join(parts))


def diff_page(published: str | None, report: Report | None, note: str = "") -> str:
    if report is None:
        body = f"<h1>Wat verandert er?</h1><p>{escape(note)}</p>"
        return page("Wat verandert er?", body)
    parts = [
        "<h1>Wat verandert er voor de professional?</h1>",
        f"<p>Vergeleken met: <code>{escape(published or '')}</code></p>",
    ]
    if report.empty:
        parts.append(
            "<p>Voor de professional verandert er niets: dezelfde vragen, routes en adviezen.</p>"
        )
    for kind, heading in HEADINGS:
        found = report.section(kind)
        if not found:
            continue
        parts.append(f"<h2>{escape(heading)}</h2><ul>")
        for f in found:
            example = f"<br><small>Bijvoorbeeld: {escape(f.example)}</small>" if f.example else ""
            parts.append(f"<li>{escape(f.text)}{example}</li>")
        parts.append("</ul>")
    return page("Wat verandert er?", "".join(parts))
