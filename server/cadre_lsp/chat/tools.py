"""The client's tools: which are offered, how they reach a model, and reading its calls back.

Calls are read by the same parser as the editor path (`parse_tool_calls`: native calls, Hermes
`<tool_call>` blocks, fenced or bare JSON). That parser canonicalises names to our own tools
(`read_file` -> `Read`); here they are mapped back to the client's names and arguments, then checked
against the client's JSON schemas, so a client only ever gets calls to tools it declared.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..toolcalls import ToolCall, canonical_tool, parse_tool_calls
from ..toolcalls.call_checks import check_schema
from ..toolcalls.normalize import ARG_ALIASES
from . import chat_prompts as prompts
from .types import ChatError, ChatRequest

_CALL_BLOCK = re.compile(r"<tool_call>.*?(?:</tool_call>|$)", re.S | re.I)


def check_specs(tools: Any) -> list[dict[str, Any]]:
    """The request's `tools`, checked: each an OpenAI function spec with a name."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise ChatError("`tools` must be a list", "bad_request", param="tools")
    for i, spec in enumerate(tools):
        fn = spec.get("function") if isinstance(spec, dict) else None
        if not (isinstance(spec, dict) and spec.get("type", "function") == "function" and isinstance(fn, dict)
                and isinstance(fn.get("name"), str) and fn["name"]):
            raise ChatError(f"tools[{i}] must be {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}",
                            "bad_request", param=f"tools[{i}]")
        if not isinstance(fn.get("parameters", {}), dict):
            raise ChatError(f"tools[{i}].function.parameters must be a JSON schema object", "bad_request",
                            param=f"tools[{i}]")
    return tools


def name_of(spec: dict[str, Any]) -> str:
    return str(spec["function"]["name"])


def offered(request: ChatRequest) -> list[dict[str, Any]]:
    """The tools a model may call for this request, after `tool_choice`."""
    choice = request.tool_choice
    if not request.tools or choice == "none":
        return []
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        picked = [t for t in request.tools if name_of(t) == wanted]
        if not picked:
            raise ChatError(f"tool_choice names {wanted!r}, which is not in `tools`", "bad_request",
                            param="tool_choice")
        return picked
    if choice not in (None, "auto", "required"):
        raise ChatError("tool_choice must be \"auto\", \"none\", \"required\" or a function", "bad_request",
                        param="tool_choice")
    return request.tools


def must_call(request: ChatRequest) -> bool:
    return bool(request.tools) and (request.tool_choice == "required" or isinstance(request.tool_choice, dict))


def render(tools: list[dict[str, Any]]) -> str:
    """Tools written into a system prompt, for backends that cannot take them natively."""
    lines = []
    for spec in tools:
        fn = spec["function"]
        params = json.dumps(fn.get("parameters", {}), ensure_ascii=False)
        lines.append(f"- {fn['name']}: {fn.get('description', '').strip()} Arguments (JSON schema): {params}")
    return prompts.TOOLS.format(tools="\n".join(lines))


def read_calls(text: str, native: list[dict[str, Any]], tools: list[dict[str, Any]]
               ) -> tuple[list[ToolCall], list[str]]:
    """(valid calls in the client's names, reasons for each rejected call)."""
    specs = {name_of(t): t["function"] for t in tools}
    calls: list[ToolCall] = []
    rejected: list[str] = []
    for call in parse_tool_calls(text, native):
        call = _restore(call, specs)
        if call.error:
            rejected.append(f"- {call.name or 'call'}: {call.error}")
        elif call.name not in specs:
            rejected.append(f"- {call.name or 'call'}: unknown tool (available: {', '.join(specs)})")
        else:
            problem = check_schema(specs[call.name].get("parameters") or {}, call.arguments, call.name)
            if problem:
                rejected.append(f"- {call.name}: {problem}")
            elif call not in calls:
                calls.append(call)
    return calls, rejected


def _restore(call: ToolCall, specs: dict[str, dict[str, Any]]) -> ToolCall:
    """Undo the parser's canonical names where the client's tool is spelt another way."""
    if call.name in specs:
        return call
    name = next((n for n in specs if canonical_tool(n) == call.name), None)
    name = name or next((n for n in specs if json.dumps(n) in call.raw), None)
    if name is None:
        return call
    props = (specs[name].get("parameters") or {}).get("properties") or {}
    args = {}
    for key, value in call.arguments.items():
        aliases = ARG_ALIASES.get(call.name, {}).get(key, ())
        args[key if key in props else next((a for a in aliases if a in props), key)] = value
    return ToolCall(name, args, error=call.error, raw=call.raw, source=call.source)


def without_calls(text: str) -> str:
    """The prose of a reply that also made tool calls (the calls go in `tool_calls`, not the text)."""
    return _CALL_BLOCK.sub("", text).strip()


def rejected_feedback(rejected: list[str]) -> str:
    return prompts.TOOLS_REJECTED.format(reasons="\n".join(rejected))
