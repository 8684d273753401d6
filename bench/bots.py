"""The bots Voorkomen is compared with, written the way their documentation does.

- ``echo``: aiogram's echo bot (one async handler, the default dispatcher).
- ``fsm_form``: aiogram's finite-state-machine form example grown to five
  states, with inline keyboards: state filters, ``F`` filters, a cancel
  handler, keyboards built with ``InlineKeyboardBuilder`` on every call, and
  the answers in aiogram's ``MemoryStorage``.
- ``dialog_form``: the same five questions as an aiogram-dialog dialog of five
  windows (``TextInput``, ``Button``, ``Select``); state in memory too.

Each ``walk_*`` function is one user's whole conversation with that bot. None
of these bots saves anything durably; Voorkomen commits every answer.
"""

from __future__ import annotations

from typing import Any

from aiogram import Dispatcher, F, Router, html
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bench.driver import TelegramUser

ECHO_UPDATES = 6
"""Messages per echo "conversation": as many updates as a form conversation."""

EXPERIENCE = ("< 1 year", "1-3 years", "3+ years")


# ---------------------------------------------------------------- echo


def echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message()
    async def echo_handler(message: Message) -> None:
        await message.answer(html.quote(message.text or ""))

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def walk_echo(user: TelegramUser) -> None:
    for i in range(ECHO_UPDATES):
        await user.send(f"Hallo {i}")
        assert user.sent("sendMessage"), "the echo bot did not answer"


# ---------------------------------------------------------------- FSM form


class Form(StatesGroup):
    name = State()
    like_bots = State()
    language = State()
    experience = State()
    confirm = State()


def _yes_no() -> Any:
    builder = InlineKeyboardBuilder()
    builder.button(text="Yes", callback_data="yes")
    builder.button(text="No", callback_data="no")
    return builder.as_markup()


def _experience() -> Any:
    builder = InlineKeyboardBuilder()
    for i, label in enumerate(EXPERIENCE):
        builder.button(text=label, callback_data=f"exp:{i}")
    builder.adjust(1)
    return builder.as_markup()


def _confirm() -> Any:
    builder = InlineKeyboardBuilder()
    builder.button(text="Confirm", callback_data="confirm")
    builder.button(text="Cancel", callback_data="cancel")
    return builder.as_markup()


def _summary(data: dict[str, Any]) -> str:
    return (
        f"Name: {html.quote(str(data.get('name')))}\n"
        f"Likes bots: {'yes' if data.get('like_bots') else 'no'}\n"
        f"Language: {html.quote(str(data.get('language')))}\n"
        f"Experience: {html.quote(str(data.get('experience')))}"
    )


def fsm_form_dispatcher() -> Dispatcher:
    form_router = Router(name="form")

    @form_router.message(CommandStart())
    async def command_start(message: Message, state: FSMContext) -> None:
        await state.set_state(Form.name)
        await message.answer("Hi there! What's your name?")

    @form_router.message(Command("cancel"))
    @form_router.message(F.text.casefold() == "cancel")
    async def cancel_handler(message: Message, state: FSMContext) -> None:
        if await state.get_state() is None:
            return
        await state.clear()
        await message.answer("Cancelled.")

    @form_router.message(Form.name)
    async def process_name(message: Message, state: FSMContext) -> None:
        await state.update_data(name=message.text)
        await state.set_state(Form.like_bots)
        await message.answer(
            f"Nice to meet you, {html.quote(message.text or '')}!\nDid you like to write bots?",
            reply_markup=_yes_no(),
        )

    @form_router.callback_query(Form.like_bots, F.data == "no")
    async def process_dont_like_write_bots(query: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text("Not bad not terrible.\nSee you soon.")

    @form_router.callback_query(Form.like_bots, F.data == "yes")
    async def process_like_write_bots(query: CallbackQuery, state: FSMContext) -> None:
        await state.update_data(like_bots=True)
        await state.set_state(Form.language)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
            await query.message.answer("Cool! Me too!\n\nWhat programming language did you use?")

    @form_router.message(Form.language)
    async def process_language(message: Message, state: FSMContext) -> None:
        await state.update_data(language=message.text)
        await state.set_state(Form.experience)
        await message.answer("How long have you been writing bots?", reply_markup=_experience())

    @form_router.callback_query(Form.experience, F.data.startswith("exp:"))
    async def process_experience(query: CallbackQuery, state: FSMContext) -> None:
        index = int((query.data or "exp:0").removeprefix("exp:"))
        data = await state.update_data(experience=EXPERIENCE[index])
        await state.set_state(Form.confirm)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(
                f"{_summary(data)}\n\nIs this right?", reply_markup=_confirm()
            )

    @form_router.callback_query(Form.confirm, F.data == "confirm")
    async def process_confirm(query: CallbackQuery, state: FSMContext) -> None:
        data = await state.get_data()
        await state.clear()
        await query.answer("Saved")
        if isinstance(query.message, Message):
            await query.message.edit_text(f"Thank you!\n\n{_summary(data)}")

    @form_router.callback_query(Form.confirm, F.data == "cancel")
    async def process_cancel(query: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await query.answer("Cancelled")

    dispatcher = Dispatcher()
    dispatcher.include_router(form_router)
    return dispatcher


async def walk_form(user: TelegramUser) -> None:
    """The five questions of the form bots (FSM and dialog), plus ``/start``."""
    await user.send("/start")
    await user.send("Ann")
    await user.press("Yes")
    await user.send("Python")
    await user.press(EXPERIENCE[1])
    await user.press("Confirm")
    assert any("Thank you" in text for text in user.texts()), "the form did not finish"


# ---------------------------------------------------------------- aiogram-dialog


def dialog_available() -> str | None:
    """None when aiogram-dialog is installed, else why not."""
    try:
        import aiogram_dialog  # noqa: F401
    except ImportError as err:
        return f"aiogram-dialog is not installed ({err}); `make bench` installs it"
    return None


class DialogForm(StatesGroup):
    name = State()
    like_bots = State()
    language = State()
    experience = State()
    confirm = State()


def dialog_dispatcher() -> Dispatcher:
    from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
    from aiogram_dialog.widgets.input import ManagedTextInput, TextInput
    from aiogram_dialog.widgets.kbd import Button, Column, Next, Row, Select
    from aiogram_dialog.widgets.text import Const, Format

    async def on_text(
        message: Message, widget: ManagedTextInput[str], manager: DialogManager, value: str
    ) -> None:
        await manager.next()

    async def on_no(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        await manager.done()

    async def on_experience(
        query: CallbackQuery, widget: Any, manager: DialogManager, item_id: str
    ) -> None:
        manager.dialog_data["experience"] = EXPERIENCE[int(item_id)]
        await manager.next()

    async def on_confirm(query: CallbackQuery, button: Button, manager: DialogManager) -> None:
        if isinstance(query.message, Message):
            data = await summary_getter(manager)
            await query.message.answer(f"Thank you!\n\n{data['summary']}")
        await manager.done()

    async def summary_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
        name = dialog_manager.find("name")
        language = dialog_manager.find("language")
        data = {
            "name": name.get_value() if name else None,
            "like_bots": True,
            "language": language.get_value() if language else None,
            "experience": dialog_manager.dialog_data.get("experience"),
        }
        return {"name": html.quote(str(data["name"])), "summary": _summary(data)}

    dialog = Dialog(
        Window(
            Const("Hi there! What's your name?"),
            TextInput(id="name", on_success=on_text),
            state=DialogForm.name,
        ),
        Window(
            Format("Nice to meet you, {name}!\nDid you like to write bots?"),
            Row(
                Next(Const("Yes"), id="yes"),
                Button(Const("No"), id="no", on_click=on_no),
            ),
            state=DialogForm.like_bots,
            getter=summary_getter,
        ),
        Window(
            Const("Cool! Me too!\n\nWhat programming language did you use?"),
            TextInput(id="language", on_success=on_text),
            state=DialogForm.language,
        ),
        Window(
            Const("How long have you been writing bots?"),
            Column(
                Select(
                    Format("{item[1]}"),
                    id="exp",
                    item_id_getter=lambda item: str(item[0]),
                    items=list(enumerate(EXPERIENCE)),
                    on_click=on_experience,
                )
            ),
            state=DialogForm.experience,
        ),
        Window(
            Format("{summary}\n\nIs this right?"),
            Button(Const("Confirm"), id="confirm", on_click=on_confirm),
            state=DialogForm.confirm,
            getter=summary_getter,
        ),
    )

    router = Router(name="dialog-start")

    @router.message(CommandStart())
    async def command_start(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(DialogForm.name, mode=StartMode.RESET_STACK)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    dispatcher.include_router(dialog)
    setup_dialogs(dispatcher)
    return dispatcher
