"""End to end, as a user would: the real bot process (aiogram, long polling),
the real service and flows, and a Bot API emulator on 127.0.0.1 in between.

Every bot message is checked against Telegram's HTML rules when read, so an
escaping mistake anywhere fails the test that caused it.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from bot.channels.telegram import COMMANDS
from bot.channels.telegram import rendering as r
from bot.engine import texts
from tests.peers.telegram.fixture import BotMessage, BotProcess, BotProcesses, TelegramUser
from tests.telegram.conftest import LONG_STORY, flow_set

pytestmark = pytest.mark.peer

NOT_ENCRYPTED = "niet end-to-end versleuteld"
STALE = "Deze knop hoort bij een eerdere vraag."
TRICKY_CODE = "C-12 <&> 😀"
TRICKY_TEXT = "<b>niet vet</b> & <script>x</script> 😀 a<b"


def open_flow(user: TelegramUser, title: str = "Testgesprek") -> BotMessage:
    """``/start``, then the menu button of a flow; returns the first question."""
    user.send("/start")
    menu = user.expect_question("Waarmee wil je aan de slag?")
    user.callback_answer(user.press(menu, title))
    return menu


def wait_for_buttons(
    user: TelegramUser, message: BotMessage, labels: list[str], timeout: float = 15.0
) -> BotMessage:
    """Wait (bounded) until ``message``'s keyboard shows ``labels``: a press is
    answered first (the spinner stops) and the keyboard is edited just after."""
    deadline = time.monotonic() + timeout
    while True:
        shown = user.message(message.message_id)
        if [b.text for b in shown.buttons] == labels:
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"buttons {[b.text for b in shown.buttons]}, wanted {labels}")
        time.sleep(0.02)


# ---------------------------------------------------------------- set-up


def test_command_menu_and_description_are_registered(telegram_bot: BotProcess) -> None:
    emulator = telegram_bot.emulator
    commands = emulator.bot_api(telegram_bot.token, "getMyCommands")
    assert [c["command"] for c in commands] == [
        "start",
        "nieuw",
        "verder",
        "terug",
        "uitleg",
        "kennis",
        "hulp",
        "nood",
        "stop",
    ]
    assert [(c["command"], c["description"]) for c in commands] == list(COMMANDS)
    described = emulator.call("/getDescriptions", {"token": telegram_bot.token})
    assert described["description"].startswith("Voorkomen helpt je")
    # the privacy warning comes once, in the first reply, not also before Start
    assert NOT_ENCRYPTED not in described["description"]


def _listed_words(help_text: str) -> set[str]:
    """The words a help text lists as "• word – what it does"."""
    return {
        line.removeprefix("•").strip().split()[0].lstrip("/")
        for line in help_text.splitlines()
        if line.startswith("•") and line.removeprefix("•").strip()
    }


def _engine_help_words() -> set[str]:
    """Every word the engine's own help texts list (whatever their constants are called)."""
    words: set[str] = set()
    for value in vars(texts).values():
        if isinstance(value, str) and "•" in value:
            words |= _listed_words(value)
    return words


def test_the_engine_help_lists_every_word_of_the_command_menu() -> None:
    menu = {command for command, _ in COMMANDS} - {"start", "hulp"}
    assert menu <= _engine_help_words()


def test_the_command_menu_and_hulp_agree(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    open_flow(user)
    user.expect_question("Wat is je casuscode?")
    user.send("/hulp")
    said = "\n".join(m.text for m in user.expect("Wat is je casuscode?"))
    listed = _listed_words(said)
    menu = {command for command, _ in COMMANDS} - {"start", "hulp"}
    assert menu <= listed, f"in the menu but not in /hulp: {menu - listed}"


def test_opnieuw_still_works(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    open_flow(user)
    user.expect_question("Wat is je casuscode?")
    user.send("C-4")
    user.expect_question("Wat voor dilemma is het?")
    user.send("/opnieuw")
    confirm = user.expect_question("opnieuw")
    assert not confirm.text.startswith("⚠️")
    assert [b.text for b in confirm.buttons] == ["Ja", "Nee"]


def test_first_use_says_the_chat_is_not_end_to_end_encrypted_once(
    telegram_bot: BotProcess,
) -> None:
    user = TelegramUser(telegram_bot)
    user.send("/start")
    new = user.expect("Waarmee wil je aan de slag?")
    assert len(new) == 1  # what is said before the menu is one bubble with it
    assert new[0].text.count(NOT_ENCRYPTED) == 1
    assert "namen" in new[0].text
    # short labels without a number, two per row
    assert [[b.text for b in row] for row in new[-1].keyboard] == [["Testgesprek", "Lang verhaal"]]
    user.send("/start")  # only at first use
    again = user.expect("Waarmee wil je aan de slag?")
    assert not any(NOT_ENCRYPTED in m.text for m in again)


# ---------------------------------------------------------------- a whole dilemma


def tricky_first(user: TelegramUser, question: BotMessage) -> BotMessage:
    """Type ``<``, ``&`` and emoji where they are no answer: the question comes
    back with the reason above it (and its old keyboard goes away)."""
    user.send(TRICKY_TEXT)
    again = user.expect_question(question.text.split("\n")[1])
    assert again.message_id != question.message_id
    assert again.text.startswith("⚠️ ")
    assert user.message(question.message_id).buttons == []
    assert [b.text for b in again.buttons] == [b.text for b in question.buttons]
    return again


def test_a_whole_dilemma_with_buttons_and_typed_answers(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    menu = open_flow(user)
    user.expect_question("Wat is je casuscode?")  # sent after the menu was marked answered
    assert user.message(menu.message_id).buttons == []  # the pressed keyboard is gone
    assert user.message(menu.message_id).text.endswith("✔️ Testgesprek")

    user.send(TRICKY_CODE)

    soort = user.expect_question("Wat voor dilemma is het?")
    assert soort.text.startswith("Vraag 2 van ongeveer")
    assert "<b>Wat voor dilemma is het?</b>" in soort.html
    soort = tricky_first(user, soort)
    user.callback_answer(user.press(soort, "Informatie delen"))

    wie = user.expect_question("Wie moet dit weten?")
    assert user.message(soort.message_id).text.endswith("✔️ Informatie delen")
    assert user.message(soort.message_id).buttons == []
    assert [[b.text for b in row] for row in wie.keyboard] == [
        ["Huisarts", "School"],
        ["Veilig Thuis"],
        ["Klaar"],
    ]
    wie = tricky_first(user, wie)

    # "Klaar" with nothing ticked: a toast, and the question stays as it is
    answer = user.callback_answer(user.press(wie, "Klaar"))
    assert answer["text"] == "Kies minstens één antwoord."

    # multiple choice: each press edits the same message's keyboard in place
    for label in ("School", "Veilig Thuis", "Huisarts", "Huisarts"):
        answer = user.callback_answer(user.press(user.message(wie.message_id), label))
        assert answer["text"] == ""
    shown = wait_for_buttons(user, wie, ["Huisarts", "✅ School", "✅ Veilig Thuis", "Klaar"])
    assert user.new_messages() == []  # neither toggling nor the empty Klaar sent a message
    user.callback_answer(user.press(shown, "Klaar"))

    besproken = user.expect_question("Heb je het met een collega besproken?")
    assert user.message(wie.message_id).text.endswith("✔️ School, Veilig Thuis")
    assert [b.text for b in besproken.buttons] == ["Ja", "Nee"]
    besproken = tricky_first(user, besproken)
    user.send("nee")  # typed instead of pressed: the keyboard goes away all the same

    wanneer = user.expect_question("Wanneer bespreek je het?")
    assert user.message(besproken.message_id).buttons == []
    assert user.message(besproken.message_id).text.endswith("✔️ Nee")  # as if pressed
    tricky_first(user, wanneer)
    user.send("vrijdag")

    user.expect_question("Vertel kort wat er speelt.")
    user.send(TRICKY_TEXT)

    review = user.expect("Klopt alles?")
    assert not any(m.document for m in review)  # no draft: the vastlegging comes once
    overview = review[-1]
    parts = [b.text for b in overview.buttons]
    assert parts[0] == "Klaar, maak vastlegging"
    assert len(parts) > 1  # the answers are one tap away, in parts
    assert all(len(label) <= 24 for label in parts)  # what a phone shows of a button
    user.callback_answer(user.press(overview, parts[1]))
    part = user.expect("Kies een antwoord om het te wijzigen.")[-1]
    # the answers are lines of the message; the buttons only say which to change
    assert f"Wat is je casuscode? → {TRICKY_CODE}" in part.text
    assert "Wie moet dit weten? → School, Veilig Thuis" in part.text
    assert [b.text for b in part.buttons][:2] == ["Wijzig 1", "Wijzig 2"]
    user.callback_answer(user.press(part, "Terug naar het overzicht"))
    overview = user.expect_question("Klopt alles?")
    user.callback_answer(user.press(overview, "Klaar, maak vastlegging"))

    final = user.wait_until(lambda new: any(m.document for m in new), "the vastlegging file")
    (document,) = [m for m in final if m.document]
    assert document.document is not None
    assert document.document["file_name"].endswith(".txt")
    content = user.document_content(document)
    assert f"Casuscode: {TRICKY_CODE}" in content
    assert f"Vertel kort wat er speelt. {TRICKY_TEXT}" in content
    assert "Kanaal: telegram" in content
    as_message = [m for m in final if "Casuscode:" in m.text]
    assert len(as_message) == 1, "the vastlegging arrives once as a message (and once as a file)"
    assert f"Vertel kort wat er speelt. {TRICKY_TEXT}" in as_message[0].text

    # every button press got exactly one answer (callback_answer asserts "once")
    for callback_id in user.callbacks:
        user.callback_answer(callback_id)


# ---------------------------------------------------------------- stale buttons


def test_a_stale_button_gets_a_toast_and_changes_nothing(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    open_flow(user)
    code = user.expect_question("Wat is je casuscode?")
    user.send("C-1")
    soort = user.expect_question("Wat voor dilemma is het?")
    user.callback_answer(user.press(soort, "Ingrijpen of niet"))
    user.expect_question("Wie moet dit weten?")

    # the same button again (a phone that still shows the old keyboard)
    answer = user.callback_answer(user.press(soort, "Iets anders"))
    assert answer["text"] == STALE
    # a button of a question two steps back
    answer = user.callback_answer(user.press(soort, "Informatie delen"))
    assert answer["text"] == STALE
    assert user.message(soort.message_id).text.endswith("✔️ Ingrijpen of niet")
    assert code.message_id < soort.message_id

    # nothing moved: the open question is still "Wie", and it still works
    user.send("/verder")
    wie = user.expect_question("Wie moet dit weten?")
    user.callback_answer(user.press(wie, "School"))
    user.callback_answer(user.press(user.message(wie.message_id), "Klaar"))
    user.expect_question("Heb je het met een collega besproken?")


def test_garbage_button_data_gets_a_toast(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    user.send("/start")
    menu = user.expect_question("Waarmee wil je aan de slag?")
    forged = BotMessage(
        message_id=menu.message_id,
        html=menu.html,
        text=menu.text,
        entities=menu.entities,
        keyboard=(((type(menu.buttons[0]))("Vals", "i|~ff|7"),),),
        document=None,
        caption=None,
        raw=menu.raw,
    )
    answer = user.callback_answer(user.press(forged, "Vals"))
    assert answer["text"] == r.FORGOTTEN_BUTTON


# ---------------------------------------------------------------- terug, wijzig, nood


def test_terug_and_wijzig(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    open_flow(user)
    user.expect_question("Wat is je casuscode?")
    user.send("C-7")
    soort = user.expect_question("Wat voor dilemma is het?")

    user.send("/terug")
    code = user.expect_question("Wat is je casuscode?")
    assert "Eerder gaf je: C-7" in code.text
    assert user.message(soort.message_id).buttons == []  # its keyboard was taken away
    assert "✔️" not in user.message(soort.message_id).text  # terug is no answer
    user.send("C-8")

    soort = user.expect_question("Wat voor dilemma is het?")
    user.callback_answer(user.press(soort, "Informatie delen"))
    user.expect_question("Wie moet dit weten?")
    assert user.message(soort.message_id).text.endswith("✔️ Informatie delen")
    user.send("/terug")  # the old "✔️" is undone, not left beside the new question
    again = user.expect_question("Wat voor dilemma is het?")
    old = user.message(soort.message_id)
    assert "✔️" not in old.text
    assert old.text.endswith("↩️ " + r.UNDONE_TEXT)
    user.callback_answer(user.press(again, "Ingrijpen of niet"))
    wie = user.expect_question("Wie moet dit weten?")
    assert user.message(again.message_id).text.endswith("✔️ Ingrijpen of niet")
    user.callback_answer(user.press(wie, "Huisarts"))
    user.callback_answer(user.press(user.message(wie.message_id), "Klaar"))
    besproken = user.expect_question("Heb je het met een collega besproken?")
    user.callback_answer(user.press(besproken, "Ja"))
    user.expect_question("Vertel kort wat er speelt.")
    user.send("Korte toelichting.")
    review = user.expect("Klopt alles?")
    assert "Wat is je casuscode? → C-8" in first_part_answers(user, review[-1])

    user.send("wijzig 2")
    soort = user.expect_question("Wat voor dilemma is het?")
    assert "Eerder gaf je: Ingrijpen of niet" in soort.text
    user.callback_answer(user.press(soort, "Iets anders"))
    review = user.expect("Klopt alles?")
    answers = first_part_answers(user, review[-1])
    assert "Wat voor dilemma is het? → Iets anders" in answers
    assert "Wat is je casuscode? → C-8" in answers  # the other answers were kept


def first_part_answers(user: TelegramUser, overview: BotMessage) -> list[str]:
    """Open the first part of the overview; its answers ("question → answer", one
    line each, a short "Wijzig N" button each), then back."""
    parts = [b.text for b in overview.buttons]
    assert parts[0] == "Klaar, maak vastlegging"
    user.callback_answer(user.press(overview, parts[1]))
    part = user.expect("Kies een antwoord om het te wijzigen.")[-1]
    answers = [line.split(". ", 1)[1] for line in part.text.splitlines() if " → " in line]
    assert [b.text for b in part.buttons][:-1] == [
        f"Wijzig {n}" for n in range(1, len(answers) + 1)
    ]
    assert user.message(overview.message_id).buttons == []  # the pressed overview went
    user.callback_answer(user.press(part, "Terug naar het overzicht"))
    user.expect_question("Klopt alles?")
    return answers


def test_nood_in_the_middle_of_a_flow(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    open_flow(user)
    user.expect_question("Wat is je casuscode?")
    user.send("C-9")
    user.expect_question("Wat voor dilemma is het?")
    user.send("/nood")
    new = user.expect("Wat voor dilemma is het?")
    emergency = new[0].text
    assert "112" in emergency
    assert "Veilig Thuis" in emergency
    assert "010-0000000" in emergency  # the organisation's achterwacht
    soort = new[-1]
    user.callback_answer(user.press(soort, "Informatie delen"))
    user.expect_question("Wie moet dit weten?")


# ---------------------------------------------------------------- other input


def test_sticker_gets_help_and_the_question_again(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    open_flow(user)
    user.expect_question("Wat is je casuscode?")
    user.send_sticker()
    new = user.expect("Wat is je casuscode?")
    assert "Ik kan alleen tekst lezen" in new[0].text
    assert r.DELETE_ADVICE not in new[0].text  # a sticker shows nobody


def test_photo_gets_the_advice_to_delete_it(telegram_bot: BotProcess) -> None:
    user = TelegramUser(telegram_bot)
    open_flow(user)
    user.expect_question("Wat is je casuscode?")
    photo = [{"file_id": "photo-1", "file_unique_id": "photo-1", "width": 640, "height": 480}]
    user.emulator.call(
        "/sendMessage",
        {
            "botToken": telegram_bot.token,
            "from": user.user,
            "chat": user.chat,
            "date": int(time.time()),
            "photo": photo,
        },
    )
    (reply,) = user.expect("Wat is je casuscode?")  # one bubble: the help, then the question
    assert "Ik kan alleen tekst lezen" in reply.text
    assert "Verwijder het dan uit deze chat" in reply.text
    assert reply.text.index("Verwijder") < reply.text.index("Wat is je casuscode?")


def test_long_text_is_split_cleanly(telegram_bot: BotProcess) -> None:
    assert len(LONG_STORY) > 6000
    user = TelegramUser(telegram_bot)
    open_flow(user, "Lang verhaal")
    new = user.expect("Wat is je casuscode?")
    story = [m for m in new if "Deel " in m.text]
    assert len(story) == 2
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 4096 for m in story)
    assert story[0].text.startswith("Deel 1.")
    assert story[1].text.startswith("Deel ")  # cut at a paragraph, not mid-sentence
    # The story is said just before the first question, so its last part carries it.
    told, _, question = "\n\n".join(m.text for m in story).partition("\n\nVraag 1 van ongeveer")
    assert told == LONG_STORY.strip()
    assert "Wat is je casuscode?" in question


def test_group_chat_is_told_once_then_silence(telegram_bot: BotProcess) -> None:
    group = TelegramUser(telegram_bot, chat_type="group")
    group.send("/start")
    group.expect("privégesprek")
    group.send("hallo bot?")
    group.send("/nieuw")
    group.send_sticker()
    # a private chat, handled after the group messages, proves the bot is done with them
    probe = TelegramUser(telegram_bot)
    probe.send("/start")
    probe.expect("Waarmee wil je aan de slag?")
    assert len(group.messages()) == 1


# ---------------------------------------------------------------- the organisation's rule


def test_organisation_can_forbid_free_text_on_telegram(strict_telegram_bot: BotProcess) -> None:
    user = TelegramUser(strict_telegram_bot)
    open_flow(user)
    user.expect_question("Wat is je casuscode?")  # a case code is not a case description
    user.send("C-3")
    soort = user.expect_question("Wat voor dilemma is het?")
    user.callback_answer(user.press(soort, "Ingrijpen of niet"))
    wie = user.expect_question("Wie moet dit weten?")
    user.callback_answer(user.press(wie, "School"))
    user.callback_answer(user.press(user.message(wie.message_id), "Klaar"))
    besproken = user.expect_question("Heb je het met een collega besproken?")
    user.callback_answer(user.press(besproken, "Ja"))
    review = user.expect("Klopt alles?")
    texts = "\n".join(m.text for m in review)
    assert "vrije tekst over de casus niet toegestaan" in texts
    assert "Vertel kort wat er speelt." not in [m.text for m in review]
    user.callback_answer(user.press(review[-1], "Klaar, maak vastlegging"))
    final = user.wait_until(lambda new: any(m.document for m in new), "the vastlegging file")
    (document,) = [m for m in final if m.document]
    content = user.document_content(document)
    assert "Niet gevraagd: vrije tekst is op dit kanaal niet toegestaan." in content


# ---------------------------------------------------------------- webhook mode


def test_webhook_mode_with_secret_token(
    telegram_bots: BotProcesses, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    bot = telegram_bots.start(
        flows,
        main_flow="gesprek",
        extra_env={
            "VOORKOMEN_TELEGRAM_WEBHOOK_URL": url,
            "VOORKOMEN_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "VOORKOMEN_TELEGRAM_WEBHOOK_SECRET": "e2e-secret-token",
        },
    )
    assert "webhook on 127.0.0.1" in bot.log_text()
    registered = bot.emulator.call("/getWebhook", {"token": bot.token})
    assert registered == {"url": url, "secret_token": "e2e-secret-token"}

    # Telegram (the emulator) posts updates with the secret: the bot answers
    user = TelegramUser(bot)
    user.send("/start")
    menu = user.expect_question("Waarmee wil je aan de slag?")
    user.callback_answer(user.press(menu, "Testgesprek"))
    user.expect_question("Wat is je casuscode?")

    # anyone else posting to the webhook is refused
    forged = json.dumps({"update_id": 1, "message": {"message_id": 1}}).encode()
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "raden"}):
        request = urllib.request.Request(
            url, data=forged, headers={"Content-Type": "application/json", **headers}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401

    # the same server answers the operator: healthy, and the update was counted
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and health["database"] == "reachable"
    assert health["flows_loaded"] >= 1 and health["last_update_seconds_ago"] is not None
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    counted = [line for line in metrics.splitlines() if line.startswith("voorkomen_updates_total")]
    assert counted == ['voorkomen_updates_total{channel="telegram"} 2.0']
    assert "voorkomen_conversations_in_progress 1.0" in metrics
