"""Fixtures for the Telegram tests: the emulator and bot processes, and the
flow sets the end-to-end tests run on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.peers.telegram.fixture import BotProcess, BotProcesses

FLOWS = Path(__file__).resolve().parent / "flows"
PROJECT = Path(__file__).resolve().parents[2]

# A story longer than one Telegram message, with everything HTML must escape.
LONG_PARAGRAPH = "Een verhaal met <tekens> & emoji 😀 dat steeds doorgaat. " * 12
LONG_STORY = "\n\n".join(f"Deel {i}. {LONG_PARAGRAPH}" for i in range(1, 11))

LONG_FLOW = """\
id: lang
version: "1"
title: Lang verhaal
description: Een heel lange tekst, om het splitsen te testen
steps:
  - id: verhaal
    say: {story}
  - id: code
    ask: text
    text: Wat is je casuscode?
  - id: einde
    end: gesprek
"""


def flow_set(target: Path, *, free_text: bool) -> Path:
    shutil.copytree(FLOWS, target)
    (target / "lang.yaml").write_text(
        LONG_FLOW.format(story=_yaml_string(LONG_STORY)), encoding="utf-8"
    )
    org = (target / "organisatie.yaml").read_text(encoding="utf-8")
    org = org.replace(
        "vrije_tekst_zonder_versleuteling: true",
        f"vrije_tekst_zonder_versleuteling: {'true' if free_text else 'false'}",
    )
    (target / "organisatie.yaml").write_text(org, encoding="utf-8")
    return target


def _yaml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@pytest.fixture(scope="session")
def telegram_bot(
    telegram_bots: BotProcesses,
    tmp_path_factory: pytest.TempPathFactory,
) -> BotProcess:
    """The bot on the test flows (free text allowed)."""
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=True)
    return telegram_bots.start(flows, main_flow="gesprek")


@pytest.fixture(scope="session")
def strict_telegram_bot(
    telegram_bots: BotProcesses,
    tmp_path_factory: pytest.TempPathFactory,
) -> BotProcess:
    """The bot on the test flows, for an organisation that forbids free-text
    case descriptions on channels without end-to-end encryption."""
    flows = flow_set(tmp_path_factory.mktemp("flows") / "flows", free_text=False)
    return telegram_bots.start(flows, main_flow="gesprek")


def shipped_menu_flows() -> dict[str, str]:
    """The shipped flows a user can start from the menu: id -> title."""
    found: dict[str, str] = {}
    for path in sorted((PROJECT / "flows").glob("*.yaml")):
        if path.name == "organisatie.yaml":
            continue
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        if isinstance(data, dict) and data.get("menu", "true") != "false":
            found[str(data["id"])] = str(data["title"])
    return found


@pytest.fixture(scope="session")
def shipped_bot(telegram_bots: BotProcesses) -> BotProcess:
    """The bot on the shipped flows and knowledge articles."""
    flows = shipped_menu_flows()
    if not flows:
        pytest.skip("no shipped flows in flows/ yet")
    main = "dilemma" if "dilemma" in flows else next(iter(flows))
    return telegram_bots.start(
        PROJECT / "flows", main_flow=main, knowledge_dir=PROJECT / "knowledge"
    )
