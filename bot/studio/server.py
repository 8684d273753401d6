"""The studio's web server (aiohttp, on 127.0.0.1 only)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from aiohttp import web

from bot.diagram.build import build
from bot.diagram.render import GraphvizMissingError, render_dot, to_dot, to_mermaid
from bot.engine.messages import (
    Ask,
    ChannelTraits,
    ChoiceIn,
    Document,
    DoneIn,
    Incoming,
    Reply,
    Say,
    TextIn,
)
from bot.flowdiff.compare import compare
from bot.service.ports import Arrival, ConversationKey
from bot.studio import pages
from bot.studio.workspace import Snapshot, Workspace

TRAITS = ChannelTraits("studio", buttons=True, end_to_end_encrypted=True, confirm_multi=True)
COOKIE = "studio"
HTML = "text/html"


@dataclass
class Trial:
    """One browser's conversation in the chat panel."""

    flow: str
    hash: str
    transcript: list[tuple[str, str]] = field(default_factory=list)
    ask: Ask | None = None
    document: str | None = None


class Studio:
    """The request handlers over one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.trials: dict[str, Trial] = {}
        self._svg: dict[tuple[str, str], tuple[str, bool]] = {}

    # ------------------------------------------------------------ pages

    async def index(self, request: web.Request) -> web.Response:
        snap = self.ws.snapshot()
        flows = (
            snap.book.menu() + [f for f in snap.book.flows.values() if not f.menu]
            if snap.book
            else []
        )
        html = pages.index(
            str(self.ws.org or self.ws.folder), flows, sorted(snap.sources), snap.problems
        )
        return web.Response(text=html, content_type=HTML)

    def _diagram(self, snap: Snapshot, flow_id: str) -> tuple[str, bool]:
        key = (snap.hash, flow_id)
        if key not in self._svg:
            assert snap.book is not None
            diagram = build(snap.book, flow_id)
            try:
                svg = render_dot(to_dot(diagram), "svg").decode()
                svg = svg[svg.index("<svg") :]
                self._svg[key] = (svg, True)
            except GraphvizMissingError:
                self._svg[key] = (to_mermaid(diagram), False)
        return self._svg[key]

    async def flow(self, request: web.Request) -> web.Response:
        snap = self.ws.snapshot()
        flow_id = request.match_info["flow"]
        if snap.book is None:
            raise web.HTTPFound("/")
        flow = snap.book.flows.get(flow_id)
        if flow is None:
            raise web.HTTPNotFound(text="Deze flow bestaat niet.")
        diagram, is_svg = self._diagram(snap, flow_id)
        name = flow.path.rsplit("/", 1)[-1]
        return web.Response(text=pages.flow_page(flow, diagram, is_svg, name), content_type=HTML)

    async def file(self, request: web.Request) -> web.Response:
        snap = self.ws.snapshot()
        name = request.match_info["name"]
        if name not in snap.sources:
            raise web.HTTPNotFound(text="Dit bestand staat niet in de flows-map.")
        html = pages.file_page(name, snap.sources[name], snap.problems_in(name))
        return web.Response(text=html, content_type=HTML)

    async def diff(self, request: web.Request) -> web.Response:
        snap = self.ws.snapshot()
        published = self.ws.published_book()
        if self.ws.published is None:
            note = "Start de studio met --vergelijk MAP (of REV:map) om te zien wat er verandert."
            return web.Response(text=pages.diff_page(None, None, note), content_type=HTML)
        if snap.book is None or published is None:
            note = "De flows laden niet; los eerst de problemen op."
            return web.Response(text=pages.diff_page(None, None, note), content_type=HTML)
        report = compare(published, snap.book)
        return web.Response(text=pages.diff_page(self.ws.published_name, report), content_type=HTML)

    # ------------------------------------------------------------ chat

    def _session(self, request: web.Request) -> str:
        value = request.cookies.get(COOKIE, "")
        return value if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", value) else secrets.token_urlsafe(16)

    def _note(self, trial: Trial, replies: list[Reply]) -> None:
        trial.ask = None
        for reply in replies:
            if isinstance(reply, Say):
                trial.transcript.append(("bot", reply.text))
            elif isinstance(reply, Ask):
                lines = [reply.note, reply.error, reply.text, reply.hint]
                trial.transcript.append(("bot", "\n".join(x for x in lines if x)))
                trial.ask = reply
            elif isinstance(reply, Document):
                trial.document = reply.text

    async def start(self, request: web.Request) -> web.Response:
        snap = self.ws.snapshot()
        flow_id = request.match_info["flow"]
        if snap.room is None or snap.book is None or flow_id not in snap.book.flows:
            raise web.HTTPFound("/")
        session = self._session(request)
        trial = Trial(flow_id, snap.hash)
        self.trials[session] = trial
        replies = await snap.room.service.start(
            Arrival.starting(ConversationKey("studio", session), TRAITS), flow_id
        )
        self._note(trial, replies)
        response = web.HTTPSeeOther("/chat")
        response.set_cookie(COOKIE, session, httponly=True, samesite="Strict")
        raise response

    async def send(self, request: web.Request) -> web.Response:
        snap = self.ws.snapshot()
        session = self._session(request)
        trial = self.trials.get(session)
        if trial is None or snap.room is None or trial.hash != snap.hash:
            raise web.HTTPSeeOther("/")
        form = await request.post()
        qid = str(form.get("qid", ""))
        incoming: Incoming
        if form.get("choice") and qid:
            incoming = ChoiceIn(qid, str(form["choice"]))
            shown = next(
                (
                    c.label
                    for c in (trial.ask.choices if trial.ask else ())
                    if c.key == form["choice"]
                ),
                str(form["choice"]),
            )
        elif form.get("done") and qid:
            incoming, shown = DoneIn(qid), "Klaar met kiezen"
        else:
            text = str(form.get("text", "")).strip()
            if not text:
                raise web.HTTPSeeOther("/chat")
            incoming, shown = TextIn(text), text
        trial.transcript.append(("me", shown))
        replies = await snap.room.service.handle(
            Arrival(ConversationKey("studio", session), incoming, TRAITS)
        )
        self._note(trial, replies)
        raise web.HTTPSeeOther("/chat")

    async def chat(self, request: web.Request) -> web.Response:
        snap = self.ws.snapshot()
        session = self._session(request)
        trial = self.trials.get(session)
        if trial is None or snap.book is None or snap.room is None or trial.hash != snap.hash:
            raise web.HTTPSeeOther("/")
        title = snap.book.flows[trial.flow].title
        stored = len(snap.room.records(ConversationKey("studio", session)))
        html = pages.chat_page(title, trial.transcript, trial.ask, trial.document, stored)
        return web.Response(text=html, content_type=HTML)


def create_web_app(workspace: Workspace) -> web.Application:
    """The aiohttp application of the studio."""
    studio = Studio(workspace)
    app = web.Application()
    app.add_routes(
        [
            web.get("/", studio.index),
            web.get("/flow/{flow}", studio.flow),
            web.get("/file/{name:.+}", studio.file),
            web.get("/diff", studio.diff),
            web.post("/chat/start/{flow}", studio.start),
            web.post("/chat/send", studio.send),
            web.get("/chat", studio.chat),
        ]
    )
    return app
