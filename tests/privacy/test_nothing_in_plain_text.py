"""A whole conversation that typed a BSN, a phone number, an e-mail address and a name:
none of them is in the database's files (SQLite: the file, its WAL and journal;
PostgreSQL: the database's own files and the server's WAL), or the log output.

Names come from the name lists (deduce, a gigabyte: loaded once by tests/identify);
here a small fake finds the one name typed, next to the real patterns for numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.channels.text import reply_text
from bot.engine.messages import ChannelTraits, Reply, TextIn
from bot.identify import PatternDetector
from bot.identify.findings import Finding, Kind, merge
from bot.service.ports import Arrival, ConversationKey
from bot.store.sql import SqlStore
from tests.privacy.bytescan import database_files, found_in, wal_files
from tests.store.conftest import Backend
from tests.support.service import make_service

KEY = ConversationKey("test", "chat-7")
TRAITS = ChannelTraits("test", end_to_end_encrypted=True)
NAME = "Daan Jansen"
PHONE = "0612345678"
BSN = "111222333"
EMAIL = "daan.jansen@example.nl"
TYPED = [NAME, PHONE, BSN, EMAIL, "daan.jansen", "12345678"]


class NamesToo(PatternDetector):
    """The real patterns, and the one name this conversation types."""

    def find(self, text: str) -> list[Finding]:
        start = text.find(NAME)
        names = [] if start < 0 else [Finding(start, start + len(NAME), Kind.NAME, NAME)]
        return merge([*super().find(text), *names])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged, SQLAlchemy's statements with their parameters too."""
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        yield caplog


def test_nothing_identifying_is_kept_in_plain_text(
    sql_backend: Backend, logs: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    store = sql_backend.open()
    assert isinstance(store, SqlStore)
    service = make_service(store=store)
    service.identifiers = NamesToo()
    said: list[str] = []

    def send(line: str) -> list[Reply]:
        replies = service.handle_now(Arrival(KEY, TextIn(line), TRAITS))
        said.extend(reply_text(r) for r in replies)
        return replies

    service.start_now(Arrival.starting(KEY, TRAITS))
    send("C-9")
    send("3")  # "Iets anders": a free-text toelichting
    send(f"{NAME} belde van {PHONE} over zijn zorgen")
    assert f"«{NAME}» lijkt een naam" in said[-1] and "vervang" in said[-1]
    send("vervang")  # kept as "[naam] belde van [telefoon] ..."
    send("nee")
    send("vrijdag")
    send("1")  # huisarts
    send("nee")  # does not know yet: why must they?
    send(f"BSN {BSN}, mail {EMAIL}")
    assert "lijkt een BSN" in said[-1]
    send("Zodat de huisarts kan helpen")  # said again without them
    send("ja")
    send("klaar")
    [record] = store.records(KEY)
    assert record.answers["toelichting"] == "[naam] belde van [telefoon] over zijn zorgen"
    store.close()  # as a copied file would be: every connection closed

    files = database_files(sql_backend, request)
    assert found_in(files, TYPED) == []
    assert found_in(files, ["C-9"]) == ["C-9"]  # the scan reads what is stored in plain text
    # The WAL (on PostgreSQL the server's, shared with other tests): the whole values.
    assert found_in(wal_files(sql_backend, request), [NAME, PHONE, BSN, EMAIL]) == []
    logged = logs.text + "\n".join(r.getMessage() for r in logs.records)
    assert "INSERT INTO answers" in logged  # the statements and their values were logged
    assert [t for t in TYPED if t in logged] == []
