"""Checking a call against its tool schema, with reasons a small model can act on.

Only the JSON-schema subset our tool schemas use is implemented (type, properties, required,
additionalProperties, enum, minLength, maxLength, minimum, items, maxItems), which keeps the server
free of a schema library and the messages short ("Edit is missing 'old_string'").
"""

from __future__ import annotations

from typing import Any

from .specs import ALL_TOOLS, TOOL_SCHEMAS
from .types import ToolCall

SHELL_REFUSED = "shell commands are never run"

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,), "null": (type(None),),
}


def validate_call(call: ToolCall) -> str | None:
    """Why this call cannot be used, or None when it is valid. Bash is always refused."""
    if call.error:
        return call.error
    if call.name not in TOOL_SCHEMAS:
        return f"unknown tool {call.name!r}; available tools: {', '.join(t for t in ALL_TOOLS if t != 'Bash')}"
    if call.name == "Bash":
        return SHELL_REFUSED
    problem = check_schema(TOOL_SCHEMAS[call.name], call.arguments, call.name)
    if problem:
        return problem
    args = call.arguments
    if call.name == "Edit" and args["old_string"] == args["new_string"]:
        return "Edit changes nothing: old_string equals new_string"
    if call.name == "Report":
        for i, f in enumerate(args["findings"], 1):
            if f["end_line"] < f["start_line"]:
                return f"Report finding {i}: end_line {f['end_line']} is before start_line {f['start_line']}"
    return None


def check_schema(schema: dict[str, Any], value: Any, where: str) -> str | None:
    """The first way `value` breaks `schema`, phrased for the model, or None."""
    kind = schema.get("type")
    if kind:  # a client's schema (chat API) may list several types, or name one we do not check
        kinds = kind if isinstance(kind, list) else [kind]
        types = tuple(t for k in kinds for t in _TYPES.get(k, (object,)))
        if not isinstance(value, types) or (isinstance(value, bool) and "boolean" not in kinds):
            return f"{where} must be {' or '.join(map(_article, kinds))}, got {_describe(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} must be one of {', '.join(map(str, schema['enum']))}, got {value!r}"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return f"{where} is empty"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{where} is longer than {schema['maxLength']} characters"
    if isinstance(value, (int, float)) and "minimum" in schema and value < schema["minimum"]:
        return f"{where} must be at least {schema['minimum']}, got {value}"
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{where} has more than {schema['maxItems']} items"
        if "items" in schema:
            for i, item in enumerate(value, 1):
                problem = check_schema(schema["items"], item, f"{where} item {i}")
                if problem:
                    return problem
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                return f"{where} is missing {key!r}"
        if schema.get("additionalProperties") is False:
            extra = [k for k in value if k not in props]
            if extra:
                return f"{where} has unexpected argument {extra[0]!r} (allowed: {', '.join(props)})"
        for key, sub in props.items():
            if key in value:
                problem = check_schema(sub, value[key], f"{where} {key!r}" if " " not in where else f"{where}.{key}")
                if problem:
                    return problem
    return None


def _article(kind: str) -> str:
    return {"integer": "an integer", "array": "a list", "object": "an object"}.get(kind, f"a {kind}")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)
