"""The Telegram adapter at aiogram's own seam: ``Dispatcher.feed_update`` with a
session that records every Bot API call (no network, no mocks), in front of
the real conversation service over the in-memory store (``tests/telegram/service.py``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
)
from aiogram.types import BufferedInputFile, Message, Update

from bot.channels.telegram import TELEGRAM_TRAITS, TelegramChannel, make_bot, rendering
from bot.channels.telegram.adapter import CHATS_REMEMBERED, command_text
from bot.channels.telegram.splitting import TELEGRAM_TEXT_LIMIT, utf16_len
from bot.engine import texts
from bot.engine.messages import (
    Ask,
    Choice,
    ChoiceIn,
    Document,
    DoneIn,
    Progress,
    QuestionKind,
    Say,
    Stale,
    TextIn,
    Unsupported,
)
from bot.service.ports import ConversationKey
from tests.telegram.botapi import (
    TEST_TOKEN,
    Chat,
    RecordingSession,
    parse_html,
    visible_text,
)
from tests.telegram.service import SpiedService

SOORT = Ask(
    question_id="",
    step="soort",
    kind=QuestionKind.SINGLE,
    text="Wat voor dilemma is het?",
    choices=(Choice("ingrijpen", "Ingrijpen of niet"), Choice("delen", "Informatie delen")),
    hint="Typ het nummer of het antwoord.",
    progress=Progress(1, 3),
)


class MemoryKV:
    """An in-memory KeyValueStore."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_value(self, name: str) -> str | None:
        return self.values.get(name)

    def set_value(self, name: str, value: str) -> None:
        self.values[name] = value


@dataclass
class Harness:
    service: SpiedService
    kv: MemoryKV
    session: RecordingSession
    bot: Bot
    dispatcher: Dispatcher
    channel: TelegramChannel

    async def feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)

    def last_keyboard_message(self) -> Message:
        for message in reversed(self.session.sent):
            if message.reply_markup is not None:
                return self.session.current(message)
        raise AssertionError("no message with a keyboard was sent")

    def answers(self) -> list[AnswerCallbackQuery]:
        return self.session.of(AnswerCallbackQuery)


def make_harness(service: SpiedService | None = None) -> Harness:
    service = service or SpiedService()
    kv = MemoryKV()
    session = RecordingSession()
    bot = make_bot(TEST_TOKEN, session=session)
    channel = TelegramChannel(service, kv)
    return Harness(service, kv, session, bot, channel.dispatcher(), channel)


@pytest.fixture
def h() -> Harness:
    return make_harness()


@pytest.fixture
def chat() -> Chat:
    return Chat(4242)


async def start(h: Harness, chat: Chat) -> Message:
    """``/start``, then ``1`` in the menu: the first question of the test flow."""
    await h.feed(chat.text("/start"))
    await h.feed(chat.text("1"))
    return h.last_keyboard_message()


# ---------------------------------------------------------------- messages in


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("/start", "start"),
        ("/start deeplink-payload", "start"),
        ("/nieuw", "nieuw"),
        ("/verder", "verder"),
        ("/terug", "terug"),
        ("/kennis meldcode", "kennis meldcode"),
        ("/kennis@VoorkomenTestBot meldcode", "kennis meldcode"),
        ("/NOOD", "nood"),
        ("/stop@VoorkomenTestBot", "stop"),
        ("/hulp", "hulp"),
    ],
)
async def test_commands_become_words(h: Harness, chat: Chat, typed: str, word: str) -> None:
    assert command_text(typed) == word
    await h.feed(chat.text(typed))
    key, incoming, traits = h.service.calls[-1]
    assert key == ConversationKey("telegram", "4242")
    # A deep link's payload goes on to the access gate (it may be an invitation code).
    payload = typed.partition(" ")[2] if typed.startswith("/start ") else ""
    assert incoming == TextIn(f"{word} {payload}" if payload else word)
    assert traits == TELEGRAM_TRAITS
    assert traits.buttons is True
    assert traits.end_to_end_encrypted is False


async def test_text_and_non_text(h: Harness, chat: Chat) -> None:
    await h.feed(chat.text("  gewoon een antwoord <b> & 😀 "))
    await h.feed(chat.sticker())
    await h.feed(chat.edited("ander antwoord"))
    incomings = [c[1] for c in h.service.calls]
    assert incomings == [
        TextIn("  gewoon een antwoord <b> & 😀 "),
        Unsupported("sticker"),
        Unsupported("bewerkt bericht"),
    ]


async def test_start_shows_question_with_short_plain_buttons(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    menu, text = h.session.texts()  # what was said before a question goes with it, in one bubble
    assert menu.startswith(f"{texts.NOTICE_NOT_ENCRYPTED}\n\nWelkom bij de test.\n\n")
    assert "Waarmee wil je aan de slag?" in menu
    assert text.startswith("Vraag 1 van ongeveer 3\n")
    assert "Wat voor dilemma is het?" in text
    assert "Meer weten? Typ uitleg." in text
    html = h.session.of(SendMessage)[1].text
    assert "<b>Wat voor dilemma is het?</b>" in html
    assert question.reply_markup is not None
    rows = [[b.text for b in row] for row in question.reply_markup.inline_keyboard]
    # no number prefix; labels longer than 14 characters get a row of their own
    assert rows == [["Ingrijpen of niet"], ["Informatie delen"]]
    for row in question.reply_markup.inline_keyboard:
        for button in row:
            assert button.callback_data is not None
            assert len(button.callback_data.encode()) <= 64


# ---------------------------------------------------------------- buttons


async def test_press_answers_marks_message_and_asks_next(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    h.session.clear()
    await h.feed(chat.press_label(question, "Informatie delen"))
    assert h.service.calls[-1][1] == ChoiceIn("1", "delen")
    answers = h.answers()
    assert len(answers) == 1
    assert answers[0].text is None
    (edit,) = h.session.of(EditMessageText)
    assert edit.message_id == question.message_id
    assert edit.reply_markup is None  # the keyboard is gone: no second press
    assert visible_text(edit.text or "").endswith("✔️ Informatie delen")
    assert "<b>Wat voor dilemma is het?</b>" in (edit.text or "")  # formatting kept
    assert "Wie moet dit weten?" in h.session.texts()[-1]


async def test_multi_toggles_in_place_then_klaar(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    multi = h.last_keyboard_message()
    sent_before = len(h.session.of(SendMessage))

    await h.feed(chat.press_label(multi, "Huisarts"))
    await h.feed(chat.press_label(h.session.current(multi), "Veilig Thuis"))
    await h.feed(chat.press_label(h.session.current(multi), "Huisarts"))
    assert len(h.session.of(SendMessage)) == sent_before  # edited, not re-sent
    edits = h.session.of(EditMessageReplyMarkup)
    assert [e.message_id for e in edits] == [multi.message_id] * 3
    now = h.session.current(multi)
    assert now.reply_markup is not None
    rows = [[b.text for b in row] for row in now.reply_markup.inline_keyboard]
    # short options two per row (the ✅ does not move them), Klaar under them
    assert rows == [["Huisarts", "School"], ["✅ Veilig Thuis"], ["Klaar"]]

    await h.feed(chat.press_label(now, "Klaar"))
    assert h.service.calls[-1][1] == DoneIn("2")
    final = h.session.of(EditMessageText)[-1]
    assert final.message_id == multi.message_id
    assert visible_text(final.text or "").endswith("✔️ Veilig Thuis")
    assert "Vertel kort wat er speelt." in h.session.texts()[-1]
    assert len(h.answers()) == 5  # one answer per press


async def test_klaar_from_a_keyboard_a_tick_behind_shows_the_saved_answer(
    h: Harness, chat: Chat
) -> None:
    question = await start(h, chat)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    multi = h.last_keyboard_message()
    await h.feed(chat.press_label(multi, "Huisarts"))
    # "Klaar" pressed on the keyboard as it was before the tick reached the phone
    await h.feed(chat.press_label(multi, "Klaar"))
    final = h.session.of(EditMessageText)[-1]
    assert final.message_id == multi.message_id
    assert visible_text(final.text or "").endswith("✔️ Huisarts")


async def test_klaar_without_choice_is_a_toast(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    multi = h.last_keyboard_message()
    h.session.clear()
    await h.feed(chat.press_label(multi, "Klaar"))
    assert h.service.calls[-1][1] == DoneIn("2")
    (answer,) = h.answers()
    assert answer.text == texts.ERR_MULTI_EMPTY
    # nothing else: no question again, the keyboard on screen stays and still works
    assert h.session.of(SendMessage) == []
    assert h.session.of(EditMessageText) == []
    assert h.session.of(EditMessageReplyMarkup) == []
    await h.feed(chat.press_label(h.session.current(multi), "School"))
    await h.feed(chat.press_label(h.session.current(multi), "Klaar"))
    assert visible_text(h.session.of(EditMessageText)[-1].text or "").endswith("✔️ School")


async def test_stale_press_is_a_toast_and_changes_nothing(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    h.session.clear()
    await h.feed(chat.press_label(question, "Informatie delen"))  # the old message
    assert isinstance(h.service.calls[-1][1], ChoiceIn)
    (answer,) = h.answers()
    assert answer.text == Stale().text
    assert h.session.of(SendMessage) == []
    assert h.session.of(EditMessageText) == []
    assert h.session.of(EditMessageReplyMarkup) == []


@pytest.mark.parametrize("data", ["", "x|1|2", "i|1|0", "k|", "d|", "i|~9|0", "garbage"])
async def test_unknown_button_data_gets_a_toast(h: Harness, chat: Chat, data: str) -> None:
    question = await start(h, chat)
    calls = len(h.service.calls)
    await h.feed(chat.press(question, data))
    assert len(h.service.calls) == calls
    (answer,) = h.answers()
    assert answer.text == rendering.FORGOTTEN_BUTTON


async def test_typed_answer_is_shown_like_a_press(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    h.session.clear()  # the menu's typed "1" was marked the same way
    await h.feed(chat.text("2"))
    (edit,) = h.session.of(EditMessageText)
    assert edit.message_id == question.message_id
    assert edit.reply_markup is None
    assert visible_text(edit.text or "").endswith("✔️ Informatie delen")
    assert h.session.current(question).reply_markup is None
    # a press on it now (a client that still shows it) is stale, not applied
    await h.feed(chat.press_label(question, "Ingrijpen"))
    assert h.answers()[-1].text == Stale().text


async def test_message_without_question_keeps_the_keyboard(h: Harness, chat: Chat) -> None:
    await start(h, chat)
    h.session.clear()
    await h.feed(chat.text("/stop"))  # the service only says something
    assert h.session.texts() == [texts.STOPPED]
    assert h.session.of(EditMessageReplyMarkup) == []
    assert h.session.of(EditMessageText) == []


async def test_typed_terug_undoes_the_old_answer_line(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    await h.feed(chat.press_label(question, "Informatie delen"))
    assert visible_text(h.session.of(EditMessageText)[-1].text or "").endswith("✔️ Informatie delen")
    h.session.clear()
    await h.feed(chat.text("/terug"))
    (undo,) = h.session.of(EditMessageText)
    assert undo.message_id == question.message_id
    shown = visible_text(undo.text or "")
    assert "✔️" not in shown
    assert shown.endswith("↩️ " + rendering.UNDONE_TEXT)
    assert "Wat voor dilemma is het?" in h.session.texts()[-1]  # asked again, below


async def test_photo_gets_the_advice_to_delete_it(h: Harness, chat: Chat) -> None:
    await start(h, chat)
    await h.feed(chat.photo())
    assert h.service.calls[-1][1] == Unsupported("foto")
    said = h.session.texts()[-1]
    assert said.startswith("Ik kan alleen tekst lezen.")
    assert rendering.DELETE_ADVICE in said
    assert "Wat voor dilemma is het?" in said  # the question again, in the same bubble
    await h.feed(chat.sticker())  # a sticker shows nobody: no advice
    assert rendering.DELETE_ADVICE not in h.session.texts()[-1]


async def test_quick_reply_buttons_act_as_typing(h: Harness, chat: Chat) -> None:
    await start(h, chat)
    more = Choice("meer", "Lees verder")
    h.service.extra = [Say("Een artikel, eerste deel.", actions=(more,))]
    await h.feed(chat.text("/hulp"))
    page = h.session.sent[-1]
    assert visible_text(h.session.of(SendMessage)[-1].text) == "Een artikel, eerste deel."
    assert page.reply_markup is not None
    assert [b.text for row in page.reply_markup.inline_keyboard for b in row] == ["Lees verder"]
    h.session.clear()
    h.service.extra = [Say("Het vervolg van het artikel.")]
    await h.feed(chat.press_label(page, "Lees verder"))
    assert h.service.calls[-1][1] == TextIn("meer")
    (answer,) = h.answers()
    assert answer.text is None
    assert h.session.current(page).reply_markup is None  # pressed once, then gone
    assert h.session.texts()[-1] == "Het vervolg van het artikel."
    # a press on it later (a phone still showing it) is only a toast
    calls = len(h.service.calls)
    await h.feed(chat.press_label(page, "Lees verder"))
    assert h.answers()[-1].text == Stale().text
    assert len(h.service.calls) == calls


async def test_quick_replies_go_away_when_the_conversation_moves_on(h: Harness, chat: Chat) -> None:
    await start(h, chat)
    h.service.extra = [Say("Artikel.", actions=(Choice("meer", "Meer"),))]
    await h.feed(chat.text("/hulp"))
    page = h.session.sent[-1]
    await h.feed(chat.text("Informatie delen"))
    assert h.session.current(page).reply_markup is None
    await h.feed(chat.press_label(page, "Meer"))
    assert h.answers()[-1].text == Stale().text


# ---------------------------------------------------------------- documents


async def walk_to_the_end(h: Harness, chat: Chat, toelichting: str) -> None:
    question = await start(h, chat)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    multi = h.last_keyboard_message()
    await h.feed(chat.press_label(multi, "School"))
    await h.feed(chat.press_label(h.session.current(multi), "Klaar"))
    await h.feed(chat.text(toelichting))
    review = h.last_keyboard_message()  # the overview: "Klaar, maak vastlegging"
    await h.feed(chat.press_label(review, "Klaar"))


async def test_final_document_is_a_message_and_a_txt_file(h: Harness, chat: Chat) -> None:
    await walk_to_the_end(h, chat, "Ouders <boos> & kind 😀 stil")
    shown = h.session.texts()
    assert "Vertel kort wat er speelt. Ouders <boos> & kind 😀 stil" in shown[-1]
    assert shown[-1].startswith("Testgesprek\n\n")
    (doc,) = h.session.of(SendDocument)
    assert isinstance(doc.document, BufferedInputFile)
    assert doc.document.filename == "vastlegging-2026-11-23.txt"
    content = doc.document.data.decode("utf-8")
    assert "Vertel kort wat er speelt. Ouders <boos> & kind 😀 stil" in content
    assert content.endswith("\n")
    assert doc.caption is not None
    parse_html(doc.caption)


async def test_draft_document_is_only_a_message(h: Harness, chat: Chat) -> None:
    await start(h, chat)
    h.service.extra = [Document("Concept", "Concept\nNog niet af\n", "Concept", "c.txt", False)]
    await h.feed(chat.text("/stop"))
    assert h.session.texts()[-1].startswith("Concept")
    assert h.session.of(SendDocument) == []


# ---------------------------------------------------------------- formatting


async def test_long_replies_are_split_and_escaped(h: Harness, chat: Chat) -> None:
    paragraph = "Een <tag> & nog wat 😀 tekst. " * 40
    text = "\n\n".join([paragraph] * 8)  # ~10,000 characters
    h.service.extra = [Say(text)]
    await h.feed(chat.text("iets"))
    sends = h.session.of(SendMessage)[-3:]
    visible = [visible_text(s.text) for s in sends]  # raises on bad HTML or > 4096
    assert len(sends) == 3
    assert all(utf16_len(v) <= TELEGRAM_TEXT_LIMIT for v in visible)
    assert "".join(visible).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
    assert all("&lt;tag&gt; &amp;" in s.text for s in sends)


async def test_rejected_answer_shows_why_above_the_question(h: Harness, chat: Chat) -> None:
    await start(h, chat)
    h.session.clear()
    await h.feed(chat.text("geen idee"))
    (send,) = h.session.of(SendMessage)
    assert send.reply_markup is not None
    assert visible_text(send.text).startswith(
        "⚠️ Dat antwoord ken ik niet. Kies een van deze:\n\nVraag 1"
    )


async def test_long_question_keeps_keyboard_on_last_part(h: Harness, chat: Chat) -> None:
    await start(h, chat)
    h.session.clear()
    long = replace(SOORT, question_id="9", text="Lange vraag & meer. " * 300)
    h.service.extra = [long]
    await h.feed(chat.text("/stop"))
    sends = h.session.of(SendMessage)  # "Gestopt.", then the question
    assert len(sends) == 2
    assert visible_text(sends[0].text).startswith("Gestopt.")
    assert sends[0].reply_markup is None
    assert sends[1].reply_markup is not None
    assert all(len(visible_text(s.text)) <= TELEGRAM_TEXT_LIMIT for s in sends)
    # the bold question continues in bold on the second part (tags re-opened)
    assert sends[0].text.endswith("</b>")
    assert sends[1].text.startswith("<b>")


# ---------------------------------------------------------------- groups


async def test_group_is_told_once_then_silence(h: Harness) -> None:
    group = Chat(-100123, chat_type="group")
    await h.feed(group.text("/start"))
    await h.feed(group.text("hallo?"))
    await h.feed(group.sticker())
    assert h.service.calls == []
    texts = h.session.texts()
    assert len(texts) == 1
    assert "privégesprek" in texts[0]
    assert h.kv.values == {"telegram.group_told.-100123": "1"}

    # after a restart (new adapter, same store) the group is still not told again
    again = TelegramChannel(h.service, h.kv)
    await again.dispatcher().feed_update(h.bot, group.text("nog iemand?"))
    assert len(h.session.texts()) == 1


async def test_press_in_group_gets_a_toast(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    group = Chat(-100777, chat_type="supergroup")
    foreign = question.model_copy(update={"chat": group.chat})
    calls = len(h.service.calls)
    await h.feed(group.press(foreign, "k|1|delen"))
    assert len(h.service.calls) == calls
    assert h.answers()[-1].text == rendering.GROUP_TOAST


# ---------------------------------------------------------------- failures


async def test_service_error_becomes_a_friendly_message(h: Harness, chat: Chat) -> None:
    h.service.crash_next = True
    await h.feed(chat.text("hallo"))
    assert h.session.texts() == [rendering.ERROR_TEXT]
    await h.feed(chat.text("/start"))  # and the bot keeps working
    assert "Welkom bij de test." in h.session.texts()[-1]


async def test_a_database_failure_is_the_services_message_and_nothing_is_lost(
    h: Harness, chat: Chat
) -> None:
    question = await start(h, chat)
    h.service.store.failures = 1  # the database breaks under this press
    await h.feed(chat.press_label(question, "Ingrijpen"))
    assert len(h.answers()) == 1
    assert "Er ging iets mis" in h.session.texts()[-1]
    await h.feed(chat.press_label(h.session.current(question), "Ingrijpen"))  # again
    assert "Wie moet dit weten?" in h.session.texts()[-1]


async def test_service_error_on_press_is_answered_once(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    h.service.crash_next = True
    await h.feed(chat.press_label(question, "Ingrijpen"))
    (answer,) = h.answers()
    assert answer.text == rendering.ERROR_TOAST
    assert h.session.texts()[-1] == rendering.ERROR_TEXT


async def test_refused_edit_does_not_stop_the_conversation(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    refusal = TelegramBadRequest(
        method=EditMessageText(text="x"), message="message can't be edited"
    )
    h.session.fail_next(EditMessageText, refusal)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    # falls back to removing the keyboard, then asks the next question
    assert h.session.of(EditMessageReplyMarkup)[-1].message_id == question.message_id
    assert "Wie moet dit weten?" in h.session.texts()[-1]
    assert len(h.answers()) == 1


async def test_failed_callback_answer_is_not_fatal(h: Harness, chat: Chat) -> None:
    question = await start(h, chat)
    too_old = TelegramBadRequest(
        method=AnswerCallbackQuery(callback_query_id="x"), message="query is too old"
    )
    h.session.fail_next(AnswerCallbackQuery, too_old)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    assert "Wie moet dit weten?" in h.session.texts()[-1]


async def test_inaccessible_message_press_gets_a_toast(h: Harness, chat: Chat) -> None:
    from aiogram.types import CallbackQuery, InaccessibleMessage

    await start(h, chat)
    query = CallbackQuery(
        id="cb-old",
        from_user=chat.user,
        chat_instance="ci",
        message=InaccessibleMessage(chat=chat.chat, message_id=1, date=0),
        data="k|1|delen",
    )
    calls = len(h.service.calls)
    await h.feed(Update(update_id=999_999, callback_query=query))
    assert len(h.service.calls) == calls
    assert h.answers()[-1].text == rendering.FORGOTTEN_BUTTON


# ---------------------------------------------------------------- ordering


async def test_replies_of_quick_updates_do_not_interleave(chat: Chat) -> None:
    h = make_harness(SpiedService(delay=0.01))
    await h.feed(chat.text("/start"))
    h.session.clear()
    long = "Een lange uitleg. " * 400  # two messages: a turn takes several calls
    h.service.extra = [Say(long)]  # for the first turn
    await asyncio.gather(h.feed(chat.text("/start")), h.feed(chat.text("/start")))
    shown = h.session.texts()
    # the first turn's three messages together, then the second's: never mixed
    assert [text.startswith("Welkom bij de test.") for text in shown] == [True, False, False, True]
    assert all("lange uitleg" in text for text in shown[1:3])
    assert all("Waarmee wil je aan de slag?" in shown[i] for i in (0, 3))
    assert len(h.service.locks) == 0  # locks are freed


async def test_every_bot_api_call_of_the_adapter_has_a_kept_response_type(
    h: Harness, chat: Chat
) -> None:
    """The adapter keeps aiogram's Response[...] types alive for the calls it makes
    (see ``_RESPONSE_TYPES``); a new kind of call must be added there too."""
    from aiogram.methods.base import Response

    from bot.channels.telegram import adapter

    question = await start(h, chat)
    await h.feed(chat.press_label(question, "Ingrijpen"))
    multi = h.last_keyboard_message()
    await h.feed(chat.press_label(multi, "Huisarts"))
    await h.feed(chat.press_label(h.session.current(multi), "Klaar"))
    await h.feed(chat.text("nog een antwoord"))
    kinds = {type(r) for r in h.session.requests}
    assert {SendMessage, EditMessageReplyMarkup, EditMessageText} <= kinds
    kept = set(adapter._RESPONSE_TYPES)
    for kind in kinds:
        assert Response[kind.__returning__] in kept, kind.__name__  # type: ignore[name-defined]


async def test_only_the_most_recent_chats_are_remembered() -> None:
    """What keeps a screen right is kept for the last ``memory`` chats only (issue 15:
    memory does not grow with the conversations in progress). Two people started
    after Anna: her typed answer is still taken, as after a restart, but her old
    keyboard is no longer known; Cato's, the most recent, is still marked."""
    service = SpiedService()
    session = RecordingSession()
    bot = make_bot(TEST_TOKEN, session=session)
    channel = TelegramChannel(service, MemoryKV(), memory=2)
    h = Harness(service, MemoryKV(), session, bot, channel.dispatcher(), channel)
    anna, bram, cato = Chat(501), Chat(502), Chat(503)
    for person in (anna, bram, cato):
        await start(h, person)
    h.session.clear()
    await h.feed(anna.text("2"))
    assert h.session.of(EditMessageText) == []  # forgotten: nothing to mark
    assert any(m.chat_id == anna.chat.id for m in h.session.of(SendMessage))  # she goes on
    h.session.clear()
    await h.feed(cato.text("2"))
    (edit,) = h.session.of(EditMessageText)
    assert visible_text(edit.text or "").endswith("✔️ Informatie delen")
    assert CHATS_REMEMBERED <= 4_096  # the default: a few MB at about 2 kB a chat
