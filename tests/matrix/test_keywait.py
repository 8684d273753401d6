"""The key wait on its own (no server): a fake client stands in for nio's, and a
fake clock for time, so patience and retries are exact.

- A key request answered with HTTP 429 is tried again after the server's
  delay, until it goes through (bounded by the retry policy).
- An event whose key arrives is handed back decrypted, in its place before
  the new events; one whose key does not come keeps its place.
- Patience starts when the event is first met and runs out exactly after
  ``patience`` seconds; the sync timeout shrinks to what is left.
"""

from __future__ import annotations

from typing import Any

from nio import EncryptionError, MegolmEvent, RoomKeyRequestError, RoomKeyRequestResponse

from bot.channels.matrix.keywait import KeyWait
from bot.channels.matrix.ratelimit import RetryPolicy

ROOM = "!dm:example.org"


def megolm(event_id: str) -> MegolmEvent:
    return MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": event_id,
            "sender": "@pro:example.org",
            "origin_server_ts": 1,
            "room_id": ROOM,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "x",
                "device_id": "PRO",
                "sender_key": "k",
                "session_id": "s",
            },
        }
    )


class FakeClient:
    """What KeyWait uses of nio's client: an olm machine, decrypt_event, request_room_key."""

    def __init__(self, limited: int = 0) -> None:
        self.olm = object()
        self.keys: set[str] = set()  # event ids whose key has arrived
        self.requests = 0
        self.limited = limited

    def decrypt_event(self, event: MegolmEvent) -> Any:
        if event.event_id not in self.keys:
            raise EncryptionError("no session")
        return ("decrypted", event.event_id)

    async def request_room_key(self, event: MegolmEvent) -> Any:
        self.requests += 1
        if self.requests <= self.limited:
            return RoomKeyRequestError("slow down", "M_LIMIT_EXCEEDED", retry_after_ms=1)
        return RoomKeyRequestResponse("req", "s", ROOM, "m.megolm.v1.aes-sha2")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_rate_limited_key_request_is_retried_until_it_goes_through() -> None:
    client = FakeClient(limited=2)
    wait = KeyWait(client, RetryPolicy(retries=5, max_wait=0.01), patience=10)  # type: ignore[arg-type]
    await wait.hold(ROOM, [megolm("$a")])
    assert client.requests == 3  # two 429 answers, then the request went through


async def test_held_events_come_back_decrypted_in_order_when_the_key_arrives() -> None:
    client = FakeClient()
    wait = KeyWait(client, RetryPolicy(), patience=10)  # type: ignore[arg-type]
    first, second = megolm("$a"), megolm("$b")
    await wait.hold(ROOM, [first, second])
    assert wait.rooms() == [ROOM]
    assert wait.resume(ROOM, []) == [first, second]  # no key yet: still encrypted
    client.keys = {"$a", "$b"}
    await wait.hold(ROOM, [first, second])
    newer = megolm("$c")
    assert wait.resume(ROOM, [newer]) == [("decrypted", "$a"), ("decrypted", "$b"), newer]
    assert wait.rooms() == []


async def test_patience_runs_out_exactly_and_shortens_the_sync() -> None:
    clock = Clock()
    wait = KeyWait(FakeClient(), RetryPolicy(), patience=5, clock=clock)  # type: ignore[arg-type]
    event = megolm("$a")
    assert wait.seconds_left() is None
    assert not wait.out_of_patience(event)  # the clock starts now
    await wait.hold(ROOM, [event])
    clock.now += 3
    assert wait.seconds_left() == 2
    assert not wait.out_of_patience(event)
    clock.now += 2
    assert wait.out_of_patience(event)  # now the user is asked to send it again
