"""Two webhook workers on one PostgreSQL, behind one address, through the emulator.

The Bot API emulator posts every update to one webhook URL: a small reverse
proxy in this test, which delivers each update to *both* worker processes at
the same moment (as a proxy retrying, or Telegram redelivering, can) and every
third update once more afterwards. Neither worker has a configured secret:
both derive the same one from the token. Three professionals walk the test
flow at the same time, and one taps three options of a multiple-choice
question at once (three updates for one chat, racing in two processes).

Asserted: every update is handled once (the workers' logs skip exactly the
extra deliveries; each button press is answered once; each question is asked
once, with no error in between), each conversation goes through its
questions in order, and each record holds exactly the answers given.
"""

from __future__ import annotations

import itertools
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.peers.common import free_port, stop_processes
from tests.peers.postgres import PostgresServer
from tests.peers.telegram.fixture import BotProcess, BotProcesses, TelegramUser
from tests.telegram.conftest import flow_set

pytestmark = pytest.mark.peer

SKIPPED = "was already handled; skipped"
QUESTIONS = [
    "Waarmee wil je aan de slag?",
    "Wat is je casuscode?",
    "Wat voor dilemma is het?",
    "Wie moet dit weten?",
    "Heb je het met een collega besproken?",
    "Vertel kort wat er speelt.",
    "Klopt alles?",
]


@dataclass
class FanOutProxy:
    """Delivers each POST to every worker at once; every ``again``-th once more after."""

    workers: list[str]
    again: int = 3
    deliveries: int = 0
    posts: int = 0
    failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def deliver(self, body: bytes, headers: dict[str, str]) -> int:
        number = next(self._count)
        statuses: list[int] = []
        threads = [
            threading.Thread(target=lambda url=url: statuses.append(self._post(url, body, headers)))
            for url in self.workers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        if number % self.again == 0:  # a redelivery, after the first ones were answered
            statuses.append(self._post(self.workers[number % 2], body, headers))
        with self._lock:
            self.posts += 1
        return 200 if statuses and all(s == 200 for s in statuses) else 502

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            with self._lock:
                self.failures.append(f"{url}: {error}")
            return 599
        with self._lock:
            self.deliveries += 1
            if status != 200:
                self.failures.append(f"{url}: HTTP {status}")
        return status


def serve_proxy(proxy: FanOutProxy) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            wanted = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")
            headers = {k: v for k in wanted if (v := self.headers.get(k)) is not None}
            self.send_response(proxy.deliver(body, headers))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, name="fan-out-proxy", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/telegram"


@pytest.fixture
def two_workers(
    telegram_bots: BotProcesses,
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[BotProcess, BotProcess, FanOutProxy]]:
    database = postgres_server.create_database()  # empty: the first worker migrates it
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    ports = [free_port(), free_port()]
    proxy = FanOutProxy([f"http://127.0.0.1:{port}/telegram" for port in ports])
    server, url = serve_proxy(proxy)
    started: list[BotProcess] = []
    try:
        token = ""
        for port in ports:
            env = {
                "VOORKOMEN_DATABASE_URL": database,
                "VOORKOMEN_TELEGRAM_WEBHOOK_URL": url,
                "VOORKOMEN_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            }
            if token:  # the second worker runs the same bot
                env["VOORKOMEN_TELEGRAM_TOKEN"] = token
            bot = telegram_bots.start(flows, main_flow="gesprek", extra_env=env)
            token = token or bot.token
            started.append(replace(bot, token=token))
        yield started[0], started[1], proxy
    finally:
        stop_processes([(bot.process, "webhook worker") for bot in started])
        server.shutdown()
        server.server_close()
        postgres_server.drop_database(database.rsplit("/", 1)[1])


def walk(user: TelegramUser, number: int, *, tap_at_once: bool) -> None:
    """The test flow from /start to the vastlegging; the taps at ``Wie`` at once if asked."""
    user.send("/start")
    menu = user.expect_question(QUESTIONS[0])
    user.callback_answer(user.press(menu, "Testgesprek"))
    user.expect_question(QUESTIONS[1])
    user.send(f"W-{number}")
    soort = user.expect_question(QUESTIONS[2])
    user.callback_answer(user.press(soort, "Informatie delen"))
    wie = user.expect_question(QUESTIONS[3])
    labels = ["Huisarts", "School", "Veilig Thuis"] if tap_at_once else ["School"]
    if tap_at_once:  # three updates for one chat, racing through both workers
        with ThreadPoolExecutor(len(labels)) as pool:
            taps = list(pool.map(lambda label: user.press(wie, label), labels))
    else:
        taps = [user.press(wie, label) for label in labels]
    for tap in taps:
        user.callback_answer(tap)
    wanted = [f"✅ {label}" if label in labels else label for label in ("Huisarts", "School")]
    wanted += ["✅ Veilig Thuis" if "Veilig Thuis" in labels else "Veilig Thuis", "Klaar"]
    try:
        user.wait_until(lambda _new: _buttons(user, wie.message_id) == wanted, "the ticks")
    except AssertionError as error:
        shown = _buttons(user, wie.message_id)
        raise AssertionError(f"the keyboard shows {shown}, not {wanted}\n{error}") from None
    user.callback_answer(user.press(user.message(wie.message_id), "Klaar"))
    besproken = user.expect_question(QUESTIONS[4])
    user.callback_answer(user.press(besproken, "Ja"))
    user.expect_question(QUESTIONS[5])
    user.send(f"Speelt {number}")
    review = user.expect_question(QUESTIONS[6])
    user.callback_answer(user.press(review, "Klaar, maak vastlegging"))
    user.wait_until(lambda new: any(m.document for m in new), "the vastlegging file")


def walk_three(bot: BotProcess, *, timeout: float) -> list[TelegramUser]:
    """Three professionals walk at once (:func:`walk`), the first tapping at once."""
    users = [TelegramUser(bot, first_name=f"Prof{n}") for n in range(3)]
    with ThreadPoolExecutor(len(users)) as pool:
        walks = [
            pool.submit(walk, user, number, tap_at_once=number == 0)
            for number, user in enumerate(users)
        ]
        for done in walks:
            done.result(timeout=timeout)
    return users


def check_walks(users: list[TelegramUser]) -> None:
    """Each user of :func:`walk` saw every question once and in order, and got one
    vastlegging with their own answers."""
    for number, user in enumerate(users):
        texts = [m.text for m in user.messages() if not m.document and "Casuscode:" not in m.text]
        asked = [q for text in texts for q in QUESTIONS if q in text]
        assert asked == QUESTIONS, f"user {number}: questions out of order or twice: {asked}"
        assert not [t for t in texts if t.startswith("⚠️")], f"user {number}: {texts}"
        documents = [m for m in user.messages() if m.document]
        assert len(documents) == 1
        content = user.document_content(documents[0])
        assert f"Casuscode: W-{number}" in content
        assert f"Vertel kort wat er speelt. Speelt {number}" in content
        ticked = "Huisarts, School, Veilig Thuis" if number == 0 else "School"
        assert f"Wie moet dit weten? {ticked}" in content


def _buttons(user: TelegramUser, message_id: int) -> list[str]:
    return [b.text for b in user.message(message_id).buttons]


def test_two_workers_handle_each_update_once_and_in_order(
    two_workers: tuple[BotProcess, BotProcess, FanOutProxy],
) -> None:
    first, second, proxy = two_workers
    users = walk_three(first, timeout=180)

    assert not proxy.failures
    check_walks(users)
    for user in users:
        for callback_id in user.callbacks:  # each press answered exactly once
            user.callback_answer(callback_id)

    # Every extra delivery was skipped by one of the workers, none was handled twice.
    skipped = sum(bot.log_text().count(SKIPPED) for bot in (first, second))
    assert proxy.deliveries - proxy.posts == skipped
    assert all(SKIPPED in bot.log_text() for bot in (first, second))
