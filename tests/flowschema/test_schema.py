"""The JSON Schema of the flow language accepts every shipped flow and rejects broken ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.flowschema import MODELINE, flow_schema, schema_text
from bot.flowspec.source import read_yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "flows").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "flowtest" / "flows").glob("*.yaml")
)


def _validator() -> jsonschema.protocols.Validator:
    schema = flow_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _as_strings(path: Path) -> Any:
    """Every value as text, the way the flow loader reads it."""
    return read_yaml(str(path), path.read_text(encoding="utf-8")).data


def _as_yaml(path: Path) -> Any:
    """Typed values (numbers, true/false), the way an editor reads it."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_shipped_flow_file_is_valid(path: Path) -> None:
    validator = _validator()
    for data in (_as_strings(path), _as_yaml(path)):
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, errors


BROKEN = """\
id: kapot
version: "1"
title: Kapot
steps:
  - id: vraag
    ask: choice
    tekst: Spelfout in de sleutel
  - id: einde
    end: vastlegging
"""


def test_a_broken_flow_is_rejected() -> None:
    validator = _validator()
    data = yaml.safe_load(BROKEN)
    assert not validator.is_valid(data)
    fixed = yaml.safe_load(BROKEN.replace("tekst:", "text:"))
    assert validator.is_valid(fixed)
    assert not validator.is_valid({**fixed, "stappen": []})
    assert not validator.is_valid(yaml.safe_load(BROKEN.replace("ask: choice", "ask: kies")))
    loop = {**fixed, "steps": [{"id": "lus", "foreach": "x", "as": "y", "steps": [{"id": 1}]}]}
    assert not validator.is_valid(loop)


def test_the_command_writes_the_schema_and_shows_the_modeline(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "flow.schema.json"
    result = runner.invoke(main, ["flows", "schema", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == flow_schema()
    result = runner.invoke(main, ["flows", "schema", "--modeline"])
    assert result.output.strip() == MODELINE == "# yaml-language-server: $schema=flow.schema.json"


def test_the_shipped_schema_is_current_and_every_flow_points_at_it() -> None:
    """Editors read ``flows/flow.schema.json`` through each flow's first line;
    regenerate with ``voorkomen flows schema -o flows/flow.schema.json``."""
    folder = Path(__file__).parent.parent.parent / "flows"
    assert (folder / "flow.schema.json").read_text("utf-8") == schema_text()
    for path in folder.glob("*.yaml"):
        first = path.read_text("utf-8").splitlines()[0]
        if path.name == "organisatie.yaml":  # settings, not a flow
            assert "yaml-language-server" not in first
        else:
            assert first == MODELINE, path.name
