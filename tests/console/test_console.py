"""``voorkomen chat`` through a real subprocess: piped input, kill and resume."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.chat import FIXTURES
from tests.support.env import bot_env


def env_for(db: Path) -> dict[str, str]:
    env = bot_env()
    env.update(
        VOORKOMEN_DATABASE_URL=f"sqlite:///{db}",
        VOORKOMEN_FLOWS_DIR=str(FIXTURES / "flows"),
        VOORKOMEN_KNOWLEDGE_DIR=str(FIXTURES / "geen-kennis"),
        VOORKOMEN_MAIN_FLOW="demo",
    )
    return env


def chat(args: list[str], stdin: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env_for(db),
        timeout=60,
        check=False,
    )


def test_a_whole_conversation_can_be_scripted_through_a_pipe(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    result = chat(["--new"], "C-7\n2\nnee\nvrijdag\n1\nja\nja\nklaar\n", db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\033[" not in out  # no colour codes when not a terminal
    for question in [
        "Wat is je casuscode?",
        "Wat voor dilemma is het?",
        "Heb je het met een collega besproken?",
        "Wanneer ga je het bespreken?",
        "Wie moet dit weten?",
        "Weet Huisarts het al?",
        "Is de cliënt akkoord (delen)?",
    ]:
        assert question in out
    assert "  1. Ingrijpen of niet" in out
    assert "[vraag 1 van ongeveer" in out
    # The question comes first, the progress after it (a notification preview shows the question).
    assert out.index("Wat is je casuscode?") < out.index("[vraag 1 van ongeveer")
    assert out.rstrip().endswith("─" * 32)
    assert "Demo C-7" in out.split("Klaar. Hieronder")[1]


def test_end_of_input_saves_and_the_next_run_resumes(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    first = chat(["--new"], "C-7\n2\n", db)
    assert first.returncode == 0
    second = chat([], "", db)
    assert second.returncode == 0
    assert "We gaan verder waar je was." in second.stdout
    assert "Heb je het met een collega besproken?\n  1. Ja\n  2. Nee" in second.stdout


def _read_until(proc: subprocess.Popen[bytes], marker: str, timeout: float = 30) -> str:
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} in {seen.decode(errors='replace')}"
        ready, _, _ = select.select([proc.stdout], [], [], remaining)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"process ended before {marker!r}: {seen.decode(errors='replace')}"
            seen += chunk
    return seen.decode()


def test_a_killed_chat_resumes_at_the_same_question(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--new"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env_for(db),
    )
    try:
        assert proc.stdin is not None
        _read_until(proc, "Wat is je casuscode?")
        proc.stdin.write(b"C-8\n3\n")
        proc.stdin.flush()
        _read_until(proc, "Vertel kort wat voor dilemma het is.")
        proc.send_signal(signal.SIGKILL)  # no clean shutdown at all
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    resumed = chat([], "", db)
    assert resumed.returncode == 0
    assert "Vertel kort wat voor dilemma het is." in resumed.stdout
    after = chat([], "ruzie\n", db)
    assert "Heb je het met een collega besproken?" in after.stdout


def test_a_broken_flow_stops_the_bot_at_start_up_with_its_location(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    (flows / "templates").mkdir(parents=True)
    (flows / "templates" / "t.txt.j2").write_text("x")
    (flows / "templates" / "t.md.j2").write_text("x")
    (flows / "kapot.yaml").write_text(
        "id: kapot\nversion: '1'\ntitle: Kapot\nsteps:\n  - id: a\n    say: x\n    next: b\n"
        "  - id: einde\n    end: t\n"
    )
    env = env_for(tmp_path / "v.db")
    env["VOORKOMEN_FLOWS_DIR"] = str(flows)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert (
        f"{flows}/kapot.yaml:7:11: jumps to 'b', but there is no step with that id" in result.stderr
    )
    assert not (tmp_path / "v.db").exists()  # nothing was started


def test_make_run_starts_a_conversation(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent.parent
    if shutil.which("make") is None or not (root / ".venv" / ".installed").exists():
        pytest.skip("make run needs make and the venv that make test creates")
    env = env_for(tmp_path / "v.db")
    for name in ("VOORKOMEN_FLOWS_DIR", "VOORKOMEN_KNOWLEDGE_DIR", "VOORKOMEN_MAIN_FLOW"):
        env.pop(name)
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(root), "run"],
        input="1\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Welkom bij Voorkomen" in result.stdout
    question = result.stdout.index("casuscode")
    assert "\n[" in result.stdout[question:], "a progress line follows the first question"


def test_the_console_does_not_import_the_chat_sdks() -> None:
    code = (
        "import sys, bot.cli, bot.app\n"
        "assert 'aiogram' not in sys.modules and 'nio' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_command_lists_every_channel() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    )
    for name in ("chat", "flows", "telegram", "matrix"):
        assert f"  {name} " in result.stdout


def test_purge_command_reports_what_it_deleted(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    chat(["--new"], "C-7\n", db)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge"],
        capture_output=True,
        text=True,
        env=env_for(db),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "Bewaartermijn 30 dagen: 0 gesprek(ken) en 0 vastlegging(en) verwijderd."
    )


def test_odd_lines_through_the_pipe_are_explained_and_the_walk_goes_on(tmp_path: Path) -> None:
    """Control characters, a line of over 4,000 characters and another bot's
    command at the first two questions: each gets its explanation and the same
    question; a code with a stray NUL is stripped and kept; the walk ends."""
    db = tmp_path / "v.db"
    odd = "\x07\x1b\n" + "LANG " * 900 + "\n/start@otherbot\n!ban x\n"
    script = odd + "C-\x008\n" + odd + "2\nnee\nvrijdag\n1\nja\nja\nklaar\n"
    result = chat(["--new"], script, db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr
    assert out.count("alleen tekens die ik niet kan lezen") == 2
    assert out.count("Dat bericht is te lang (meer dan 4000 tekens)") == 2
    assert out.count("Die opdracht is niet voor mij") == 4
    assert out.count("Wat is je casuscode?") >= 5
    assert "Demo C-8" in out.split("Klaar. Hieronder")[1]  # the NUL stripped, the code kept
    assert "LANG LANG" not in out
