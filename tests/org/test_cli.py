"""The command line, through real subprocesses: set up an organisation, invite,
join from the console, remove, read the audit log; and ``make run`` with no set-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.service import access_texts
from tests.support.chat import FIXTURES
from tests.support.env import bot_env


def env_for(db: Path, **extra: str) -> dict[str, str]:
    env = bot_env()
    env.update(
        VOORKOMEN_DATABASE_URL=f"sqlite:///{db}",
        VOORKOMEN_FLOWS_DIR=str(FIXTURES / "flows"),
        VOORKOMEN_KNOWLEDGE_DIR=str(FIXTURES / "geen-kennis"),
        VOORKOMEN_MAIN_FLOW="demo",
    )
    env.update(extra)
    return env


def run(
    args: list[str], db: Path, stdin: str = "", **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env_for(db, **extra),
        timeout=120,
        check=False,
    )


def test_a_fresh_database_starts_a_conversation_in_a_demo_organisation(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    env = bot_env()
    env["VOORKOMEN_DATABASE_URL"] = f"sqlite:///{db}"  # shipped flows, as `make run`
    first = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    (line,) = [x for x in first.stderr.splitlines() if "Demo" in x]
    assert line.startswith("Organisatie Demo klaar voor gebruik:")
    assert access_texts.REFUSAL not in first.stdout
    assert "?" in first.stdout  # the bot asks its first question
    again = run(["chat", "--new"], db, "C-1\n")
    assert "Demo" not in again.stderr  # said once
    listed = run(["org", "list"], db)
    assert listed.stdout.startswith("Demo: 1 lid/leden")


def test_set_up_invite_join_remove_and_audit(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    made = run(["org", "create", "Jeugdzorg Noord"], db)
    assert made.returncode == 0, made.stderr
    assert run(["org", "create", "Jeugdzorg Noord"], db).returncode == 1
    # An organisation exists: the console is no longer let in by itself.
    outsider = run(["chat", "--as", "eva", "--new"], db, "C-1\n")
    assert outsider.stdout.strip() == access_texts.REFUSAL
    invite = run(
        ["invite", "--org", "Jeugdzorg Noord", "--role", "beheerder", "--uses", "2"],
        db,
        VOORKOMEN_TELEGRAM_BOT_USERNAME="VoorkomenTestBot",
    )
    assert invite.returncode == 0, invite.stderr
    code, link = invite.stdout.split()
    assert link == f"https://t.me/VoorkomenTestBot?start={code}"
    joined = run(["chat", "--as", "anna", "--join", code], db, "1\nC-7\n")
    assert "Welkom bij Jeugdzorg Noord! Je doet mee als beheerder." in joined.stdout
    assert "Wat voor dilemma is het?" in joined.stdout  # the conversation goes on
    run(["chat", "--as", "bram", "--join", code], db)
    wrong = run(["chat", "--as", "cor", "--join", "AAAA-BBBB-CCCC-DDDD"], db)
    assert wrong.stdout.strip() == access_texts.WRONG_CODE
    members = run(["members", "--org", "Jeugdzorg Noord"], db).stdout
    assert "anna: beheerder" in members and "bram: beheerder" in members
    granted = run(["role", "grant", "bram", "tcp", "--org", "Jeugdzorg Noord"], db)
    assert "bram heeft nu de rol tcp in Jeugdzorg Noord." in granted.stdout
    taken = run(["role", "take", "bram", "beheerder", "--org", "Jeugdzorg Noord"], db)
    assert taken.returncode == 0, taken.stderr
    removed = run(["members", "--org", "Jeugdzorg Noord", "--remove", "anna"], db)
    assert "anna" in removed.stdout and "geen lid meer" in removed.stdout
    cut_off = run(["chat", "--as", "anna"], db, "1\n")
    assert cut_off.stdout.strip() == access_texts.REFUSAL
    audit = run(["audit", "--org", "Jeugdzorg Noord"], db).stdout
    for action in ("member.joined", "role.granted", "role.taken", "member.removed"):
        assert action in audit
    assert "C-7" not in audit
    assert run(
        ["audit", "--org", "Jeugdzorg Noord", "--since", "2999-01-01"], db
    ).stdout.startswith("Nog niets")
    assert run(["members", "--org", "Onbekend"], db).returncode == 1


def test_an_organisation_gets_its_own_settings_checked_like_the_flows(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    good = tmp_path / "noord.yaml"
    good.write_text("naam: Jeugdzorg Noord\nbewaartermijn_dagen: 14\n", encoding="utf-8")
    bad = tmp_path / "fout.yaml"
    bad.write_text("bewaartermijn_dagen: nooit\n", encoding="utf-8")
    refused = run(["org", "create", "Fout", "--settings", str(bad)], db)
    assert refused.returncode == 1 and "bewaartermijn_dagen" in refused.stderr
    own = tmp_path / "eigen-flows"
    own.mkdir()
    made = run(["org", "create", "Noord", "--settings", str(good), "--flows-dir", str(own)], db)
    assert made.returncode == 0, made.stderr
    assert run(["org", "list"], db).stdout.splitlines() == [
        f"Noord: 0 lid/leden, flows: {own.resolve()}"
    ]
