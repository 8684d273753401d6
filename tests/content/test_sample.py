"""``docs/sample.md`` is a real conversation, and stays one.

The typical example (``flows/examples/dilemma-veiligheid.yaml``) is played
through the whole application as ``voorkomen chat --new`` would run it: the
real service over a fresh SQLite database, the shipped flows and knowledge,
the console's layout. The transcript and the vastlegging it produces must
equal ``docs/sample.md``; the record kept in the database must hold the
same answers and text. After a deliberate change to flows or templates,
rewrite the sample with::

    VOORKOMEN_WRITE_SAMPLE=1 .venv/bin/pytest tests/content/test_sample.py
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.app import create_app
from bot.channels.console import CONSOLE_TRAITS, console_key
from bot.channels.text import reply_text
from bot.engine.messages import Document, Reply, TextIn
from bot.service.ports import Arrival
from bot.settings import Settings
from tests.content.support import EXAMPLES, FLOWS, KNOWLEDGE, ROOT, flatten, load_example

SAMPLE = ROOT / "docs" / "sample.md"
EXAMPLE = EXAMPLES / "dilemma-veiligheid.yaml"
FENCE = "```"

INTRO = """\
# A sample conversation and its vastlegging

This is a real run of the main flow `dilemma`, as `voorkomen chat --new` shows
it. The professional's lines start with `>`. It is generated from
`flows/examples/dilemma-veiligheid.yaml` by `tests/content/test_sample.py`,
which fails when this file no longer matches what the bot says; do not edit
it by hand. Regenerate it with
`VOORKOMEN_WRITE_SAMPLE=1 .venv/bin/pytest tests/content/test_sample.py`.

The conversation shows `nood` (help in acute danger, at any question) and
`terug` (one question back). At the end the bot shows a draft of the
vastlegging and the professional types `klaar`.
"""


def _show(replies: list[Reply], out: list[str]) -> list[Document]:
    documents = []
    for reply in replies:
        if isinstance(reply, Document):
            documents.append(reply)
            what = "concept" if not reply.final else "vastlegging"
            out.append(f"[{what}: zie de vastlegging hieronder]")
        else:
            out.append(reply_text(reply))
        out.append("")
    return documents


def _run(tmp_path: Path) -> tuple[str, list[Document], object]:
    example = load_example(EXAMPLE)
    settings = Settings(
        name_check=False,  # the name lists load in tests/identify only
        database_url=f"sqlite:///{tmp_path / 'sample.db'}",
        flows_dir=FLOWS,
        knowledge_dir=KNOWLEDGE,
        main_flow="dilemma",
    )
    app = create_app(settings, clock=lambda: example.now)
    try:
        key = console_key("voorbeeld")
        out: list[str] = []
        documents = _show(app.service.start_now(Arrival.starting(key, CONSOLE_TRAITS)), out)
        for line in example.lines:
            out.append(f"> {line}")
            out.append("")
            documents += _show(
                app.service.handle_now(Arrival(key, TextIn(line), CONSOLE_TRAITS)), out
            )
        records = app.store.records(key)
    finally:
        app.close()
    return "\n".join(out).rstrip() + "\n", documents, records


def _sample(conversation: str, final: Document) -> str:
    return (
        f"{INTRO}\n## The conversation\n\n{FENCE}text\n{conversation}{FENCE}\n\n"
        f"## The vastlegging, as plain text (for the client file)\n\n"
        f"{FENCE}text\n{final.text}{FENCE}\n\n"
        f"## The same vastlegging as Markdown (for chat channels)\n\n"
        f"{FENCE}markdown\n{final.markdown}{FENCE}\n"
    )


def test_docs_sample_is_a_real_run_and_the_record_is_kept(tmp_path: Path) -> None:
    conversation, documents, records = _run(tmp_path)
    assert [d.final for d in documents] == [True]  # no draft: the vastlegging comes once
    final = documents[-1]
    expected = _sample(conversation, final)

    assert isinstance(records, list) and len(records) == 1
    record = records[0]
    example = load_example(EXAMPLE)
    assert record.flow_id == "dilemma"
    assert record.case_code == example.case_code
    assert record.text == final.text
    assert flatten(dict(record.answers)) == example.answers

    if os.environ.get("VOORKOMEN_WRITE_SAMPLE") == "1":
        SAMPLE.write_text(expected, encoding="utf-8")
    assert SAMPLE.exists(), "docs/sample.md is missing; see this module's docstring"
    assert SAMPLE.read_text(encoding="utf-8") == expected, (
        "docs/sample.md is out of date; see this module's docstring to regenerate it"
    )
