"""A JSON Schema of the flow language, generated from the pydantic models.

Editors that speak the YAML language server (VS Code, Neovim, JetBrains,
Helix) complete keys and underline mistakes while a policy officer types, if
the file starts with the modeline :data:`MODELINE`. The schema is built from
:mod:`bot.flowspec.model`, so it cannot drift from what the loader accepts:
a flow file (one of the step kinds per step, ``foreach`` bodies too) or the
organisation settings. Numbers and yes/no values may also be written as text,
because the loader reads every YAML value as text and lets pydantic convert.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.flowspec.model import STEP_MODELS, FlowHeader, OrgSettings

SCHEMA_ID = "https://voorkomen.example/schema/flow.json"
SCHEMA_FILE = "flow.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"
"""The first line of a flow file; the path is relative to the file (the schema
sits in the flows folder, or use ``../flow.schema.json`` from a subfolder)."""

_INT_AS_TEXT = {"type": "string", "pattern": r"^-?[0-9]+$"}
_BOOL_AS_TEXT = {"type": "string", "enum": ["true", "false", "True", "False"]}


def _loosen(node: Any) -> Any:
    """Let integers and booleans be written as text, like the loader allows."""
    if isinstance(node, dict):
        out = {key: _loosen(value) for key, value in node.items()}
        kind = out.get("type")
        if kind in ("integer", "boolean"):
            text = _INT_AS_TEXT if kind == "integer" else _BOOL_AS_TEXT
            strict = {k: v for k, v in out.items() if k not in ("default", "title", "description")}
            rest = {k: v for k, v in out.items() if k in ("default", "title", "description")}
            return {"anyOf": [strict, text], **rest}
        return out
    if isinstance(node, list):
        return [_loosen(item) for item in node]
    return node


def _inline(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema without ``$defs``, its ``$defs``)."""
    schema = copy.deepcopy(schema)
    return schema, schema.pop("$defs", {})


def flow_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a flow file or ``organisatie.yaml``."""
    defs: dict[str, Any] = {}
    step_refs = []
    for kind, model in STEP_MODELS.items():
        name = f"{kind.capitalize()}Step"
        body, more = _inline(model.model_json_schema(by_alias=True))
        defs.update(more)
        body["description"] = (model.__doc__ or "").strip().splitlines()[0]
        defs[name] = body
        step_refs.append({"$ref": f"#/$defs/{name}"})
    steps = {"type": "array", "items": {"anyOf": step_refs}, "title": "Steps"}
    defs["ForeachStep"]["properties"]["steps"] = steps
    flow, more = _inline(FlowHeader.model_json_schema(by_alias=True))
    defs.update(more)
    flow["properties"]["steps"] = steps
    flow["description"] = "Een flow: een gesprek in stappen."
    defs["Flow"] = flow
    org, more = _inline(OrgSettings.model_json_schema(by_alias=True))
    defs.update(more)
    org["description"] = "organisatie.yaml: wat een organisatie zelf instelt."
    defs["OrgSettings"] = org
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Voorkomen flow",
        "anyOf": [{"$ref": "#/$defs/Flow"}, {"$ref": "#/$defs/OrgSettings"}],
        "$defs": defs,
    }
    loosened: dict[str, Any] = _loosen(schema)
    return loosened


def schema_text() -> str:
    """The schema as stable, readable JSON."""
    return json.dumps(flow_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
