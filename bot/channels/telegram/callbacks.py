"""Callback data for inline buttons, within Telegram's 64-byte limit.

A button must say which question it belongs to (so the service recognises a
press on an old keyboard as stale) and which option it is, never the label
(labels are long and may contain anything). The forms are:

- ``k|<question_id>|<key>``: an option, when its key fits (flow keys are short
  slugs, so this is the usual case). Stateless: it still works after a restart
  and with several webhook workers.
- ``i|<question_id>|<index>``: an option whose key does not fit; the keys are
  remembered per chat and question in a bounded cache.
- ``d|<question_id>``: the "Klaar" button of a multiple-choice question.
- ``a|<key>``: a quick reply (``Say.actions``): pressing it acts as typing the
  key. A key that does not fit is remembered under a short token (``a|~3``).

A question id that does not fit is replaced by a short token (``~1f``), also
remembered. Forgotten entries (after a restart, or evicted) decode to None and
the user gets a short toast asking to type the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.channels.telegram.bounded import BoundedMap

CALLBACK_DATA_LIMIT = 64
"""Telegram's limit for ``callback_data``, in bytes (UTF-8)."""

_SEP = "|"
_SHORT_REF = "~"


@dataclass(frozen=True, slots=True)
class OptionPress:
    """A press on an option button."""

    question_id: str
    key: str


@dataclass(frozen=True, slots=True)
class DonePress:
    """A press on the "Klaar" button of a multiple-choice question."""

    question_id: str


@dataclass(frozen=True, slots=True)
class ActionPress:
    """A press on a quick-reply button: the same as typing ``key``."""

    key: str


Press = OptionPress | DonePress | ActionPress


def _fits(data: str) -> bool:
    return len(data.encode()) <= CALLBACK_DATA_LIMIT


class CallbackCodec:
    """Encodes button presses into callback data and back.

    ``size`` bounds each cache (questions remembered); an entry is a few
    hundred bytes, so the default stays around 10 MB however many users.
    """

    def __init__(self, size: int = 50_000) -> None:
        self._keys: BoundedMap[tuple[int, str], tuple[str, ...]] = BoundedMap(size)
        self._question_of: BoundedMap[str, str] = BoundedMap(size)
        self._token_of: BoundedMap[str, str] = BoundedMap(size)
        self._next_token = 0
        self._action_of: BoundedMap[str, str] = BoundedMap(size)

    def _ref(self, question_id: str) -> str:
        """The question id itself, or a short token when it does not fit."""
        if (
            _fits(f"i{_SEP}{question_id}{_SEP}999")
            and _SEP not in question_id
            and not question_id.startswith(_SHORT_REF)
            and question_id
        ):
            return question_id
        token = self._token_of.get(question_id)
        if token is None:
            self._next_token += 1
            token = f"{_SHORT_REF}{self._next_token:x}"
            self._token_of.put(question_id, token)
        self._question_of.put(token, question_id)
        return token

    def buttons(self, chat_id: int, question_id: str, keys: Sequence[str]) -> list[str]:
        """Callback data for each option of a question, in order."""
        ref = self._ref(question_id)
        out: list[str] = []
        remembered = False
        for index, key in enumerate(keys):
            data = f"k{_SEP}{ref}{_SEP}{key}"
            if not key or not _fits(data):
                data = f"i{_SEP}{ref}{_SEP}{index}"
                if not remembered:
                    self._keys.put((chat_id, question_id), tuple(keys))
                    remembered = True
            out.append(data)
        return out

    def done(self, question_id: str) -> str:
        """Callback data for the "Klaar" button."""
        return f"d{_SEP}{self._ref(question_id)}"

    def action(self, key: str) -> str:
        """Callback data for a quick-reply button that types ``key``."""
        data = f"a{_SEP}{key}"
        if key and _fits(data) and not key.startswith(_SHORT_REF):
            return data
        self._next_token += 1
        token = f"{_SHORT_REF}{self._next_token:x}"
        self._action_of.put(token, key)
        return f"a{_SEP}{token}"

    def decode(self, chat_id: int, data: str | None) -> Press | None:
        """The press this data stands for, or None when it is unknown or forgotten."""
        if not data:
            return None
        kind, _, rest = data.partition(_SEP)
        if kind == "a":
            key = self._action_of.get(rest) if rest.startswith(_SHORT_REF) else rest
            return ActionPress(key) if key else None
        if kind == "d":
            question_id = self._resolve(rest)
            return DonePress(question_id) if question_id is not None else None
        ref, _, value = rest.partition(_SEP)
        question_id = self._resolve(ref)
        if question_id is None or not value:
            return None
        if kind == "k":
            return OptionPress(question_id, value)
        if kind != "i" or not value.isdigit():
            return None
        keys = self._keys.get((chat_id, question_id))
        index = int(value)
        if keys is None or index >= len(keys):
            return None
        return OptionPress(question_id, keys[index])

    def _resolve(self, ref: str) -> str | None:
        if not ref:
            return None
        if ref.startswith(_SHORT_REF):
            return self._question_of.get(ref)
        return ref
