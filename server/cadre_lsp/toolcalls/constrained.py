"""JSON schemas for constrained decoding, so extraction cannot come back malformed.

Use them as llama.cpp / OpenAI `response_format` (`response_format(schema, name)`), as Ollama's
`format`, or with xllamacpp's `handle_chat_completions`. Every free string has a `maxLength`:
small models otherwise copy the whole listing into `old_string` until `max_tokens` runs out and the
JSON is cut off. Property order is the generation order, so an
optional `why` field comes first when asked for: "say what is wrong, then fix it" helped the 0.5B.
The replies parse with `parse_tool_calls` (the `{"calls": [...]}` and `{"findings": [...]}` wrappers
are understood).
"""

from __future__ import annotations

import copy
from typing import Any

from .specs import FINDING_SCHEMA


def edit_calls_schema(max_len: int = 400, *, path: str | None = None, max_calls: int = 4,
                      explain: bool = False, min_calls: int = 0) -> dict[str, Any]:
    """`{"calls": [{"name": "Edit", "arguments": {"path", "old_string", "new_string"}}]}`.

    `path` pins the file (enum of one), so the model cannot aim an edit elsewhere; `explain` adds a
    leading `"why"` sentence (maxLength 200).
    """
    path_schema: dict[str, Any] = {"type": "string", "maxLength": 300}
    if path is not None:
        path_schema = {"type": "string", "enum": [path]}
    call = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "enum": ["Edit"]},
            "arguments": {
                "type": "object",
                "properties": {
                    "path": path_schema,
                    "old_string": {"type": "string", "minLength": 1, "maxLength": max_len},
                    "new_string": {"type": "string", "maxLength": max_len},
                },
                "required": ["path", "old_string", "new_string"],
                "additionalProperties": False,
            },
        },
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }
    props: dict[str, Any] = {}
    if explain:
        props["why"] = {"type": "string", "maxLength": 200}
    props["calls"] = {"type": "array", "items": call, "minItems": min_calls, "maxItems": max_calls}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def report_schema(max_findings: int = 10, max_len: int = 300) -> dict[str, Any]:
    """`{"findings": [{"start_line", "end_line", "severity", "message", "suggestion"?}]}`, lines 1-based."""
    finding = copy.deepcopy(FINDING_SCHEMA)
    for prop in finding["properties"].values():
        prop.pop("description", None)
    finding["properties"]["message"]["maxLength"] = max_len
    finding["properties"]["suggestion"]["maxLength"] = max_len
    return {
        "type": "object",
        "properties": {"findings": {"type": "array", "items": finding, "maxItems": max_findings}},
        "required": ["findings"],
        "additionalProperties": False,
    }


def response_format(schema: dict[str, Any], name: str = "answer") -> dict[str, Any]:
    """OpenAI-style `response_format` for a schema (llama.cpp server, vLLM, LM Studio, xllamacpp)."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
