"""The name check in a real conversation: the service with the real detector,
loaded the way the app loads it (in a thread of its own)."""

from __future__ import annotations

import json

from bot.app import load_name_check
from bot.engine.messages import Ask, ChannelTraits, TextIn
from bot.identify import Detector, PatternDetector
from bot.service.ports import Arrival, ConversationKey
from bot.settings import Settings
from bot.store.memory import MemoryStore
from tests.support.service import make_service

KEY = ConversationKey("console", "anna")
TRAITS = ChannelTraits("console", end_to_end_encrypted=True)


def test_the_app_loads_the_names_in_the_background_and_then_uses_them(
    detector: Detector,  # built (and its lookup lists cached) by the session fixture
) -> None:
    store = MemoryStore()
    service = make_service(store=store)
    assert isinstance(service.identifiers, PatternDetector)
    assert not isinstance(service.identifiers, Detector)  # patterns until the names are in
    load_name_check(service, make_detector=lambda: detector).join(timeout=120)
    assert isinstance(service.identifiers, Detector)

    service.start_now(Arrival.starting(KEY, TRAITS))
    replies = service.handle_now(Arrival(KEY, TextIn("Daan Jansen"), TRAITS))
    ask = next(r for r in replies if isinstance(r, Ask))
    assert "«Daan Jansen» lijkt een naam." in ask.error
    state = store.load(KEY)
    assert state is not None and "Daan" not in json.dumps(state.to_json())

    service.handle_now(Arrival(KEY, TextIn("vervang"), TRAITS))
    state = store.load(KEY)
    assert state is not None
    assert [e.value for e in state.log if e.path == ("code",)] == ["[naam]"]


def test_the_name_check_can_be_switched_off() -> None:
    assert Settings.from_env({}).name_check
    assert not Settings.from_env({"VOORKOMEN_NAME_CHECK": "off"}).name_check
