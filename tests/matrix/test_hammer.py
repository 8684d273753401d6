"""Fast answers under load on Matrix: the screen the user ends with is what was saved.

Three professionals at once reach the multiple-choice question of the test
flow and type a quick series of selections, each sent without waiting for
the bot (Matrix has no buttons: a typed selection replaces the previous one,
and the question is edited in place). Events of one room are handled in
order, so the last selection typed must be what the question finally shows
(waited for with a bound) and, after "klaar", what was saved: the questions
asked next are one per chosen partner, in order.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from tests.matrix.conftest import MakeUser, RunBot
from tests.org.support import enrol
from tests.peers.synapse import MatrixUser

pytestmark = [pytest.mark.peer, pytest.mark.timeout(240)]

LABELS = ["Huisarts", "School", "Veilig Thuis"]


def _shown(pro: MatrixUser, room: str, bot: str) -> str:
    """The multiple-choice question as it reads now (its latest edit)."""
    latest = ""
    for message in pro.from_user(room, bot):
        body = message.content.get("m.new_content", {}).get("body", message.body)
        if body.startswith("Wie moet dit weten?"):
            latest = body
    return latest


async def _hammer(pro: MatrixUser, room: str, bot: str, number: int, chance: random.Random) -> None:
    await pro.settle(room, bot, at_least=2, timeout=60, until="Waarmee wil je aan de slag?")
    for answer, following in (
        ("Overleg & afspraken", "Wat is je casuscode?"),
        (f"HM-{number}", "Waar gaat het"),
        ("Informatie delen", "Heb je het met een collega besproken?"),
        ("ja", "Wie moet dit weten?"),
    ):
        await pro.send(room, answer)
        await pro.settle(room, bot, timeout=60, until=following)
    assert _shown(pro, room, bot), "the multiple-choice question was not asked"

    picks = [sorted(chance.sample(range(1, 4), chance.randint(1, 3))) for _ in range(8)]
    for pick in picks:  # one after another, without waiting for the bot
        await pro.send(room, " ".join(str(n) for n in pick))
    chosen = [LABELS[n - 1] for n in picks[-1]]
    wanted = [
        f"{n}. ✅ {label}" if label in chosen else f"{n}. {label}"
        for n, label in enumerate(LABELS, start=1)
    ]
    deadline = time.monotonic() + 60
    while not all(line in _shown(pro, room, bot) for line in wanted):
        assert time.monotonic() < deadline, (
            f"user {number}: {picks}; shows {_shown(pro, room, bot)}"
        )
        await asyncio.sleep(0.1)
    await pro.settle(room, bot, at_least=0, quiet=1.0)
    assert all(line in _shown(pro, room, bot) for line in wanted)  # nothing changed after

    await pro.send(room, "klaar")
    asked = await pro.settle(room, bot, timeout=60, until=f"Weet {chosen[0]} het al?")
    assert asked[-1].body.startswith(f"Weet {chosen[0]} het al?"), [m.body[:60] for m in asked]
    for label in chosen[1:]:
        await pro.send(room, "ja")
        asked = await pro.settle(room, bot, timeout=60, until=f"Weet {label} het al?")
        assert any(m.body.startswith(f"Weet {label} het al?") for m in asked), label


async def test_fast_selections_under_load_end_on_the_saved_selection(
    run_bot: RunBot, make_user: MakeUser, make_app: object
) -> None:
    seed = random.SystemRandom().randrange(10**9)
    print(f"hammer seed {seed}")
    app = make_app()  # type: ignore[operator]
    bot = await run_bot(app.service, app.kv)
    people = [await make_user(f"hamer{n}") for n in range(3)]
    rooms = []
    for pro in people:
        enrol(app.settings.database_url, "matrix", pro.user_id, name="Hamer")
        rooms.append(await pro.create_dm(bot.user_id, encrypted=False))
    await asyncio.gather(
        *(
            _hammer(pro, room, bot.user_id, n, random.Random(seed + n))
            for n, (pro, room) in enumerate(zip(people, rooms, strict=True))
        )
    )
