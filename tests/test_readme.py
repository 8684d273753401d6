"""The README's sample is a real one: it matches the generated docs/sample.md."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent


def _blocks(text: str) -> list[str]:
    return [part.split("```", 1)[0].rstrip() for part in text.split("```text\n")[1:]]


def test_readme_opens_with_the_two_commands() -> None:
    first_block = _blocks((ROOT / "README.md").read_text().replace("```sh\n", "```text\n"))[0]
    assert first_block.splitlines()[0].startswith("make run")
    assert first_block.splitlines()[1].startswith("make test")


def test_the_readme_sample_matches_the_generated_sample() -> None:
    readme = _blocks((ROOT / "README.md").read_text())
    sample = _blocks((ROOT / "docs" / "sample.md").read_text())
    conversation, vastlegging = readme[0], readme[1]
    assert conversation.removesuffix("…").rstrip() in sample[0]
    assert vastlegging == sample[1]
