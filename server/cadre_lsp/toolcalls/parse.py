"""Reading tool calls out of whatever a model replied, in any of the shapes models use.

Order of trust: native `tool_calls` from the backend; explicit call markers (Hermes `<tool_call>`,
`<function=...>` from Llama 3.1 and Qwen3-Coder, Llama's `<|python_tag|>`, Mistral's `[TOOL_CALLS]`,
DeepSeek's `<｜tool▁call▁begin｜>`, ReAct's `Action:`/`Action Input:`); fenced JSON; Python-call syntax (`Edit(path=...)`, Llama 3.2 and
Gemma); and last, call-shaped JSON anywhere in the prose. The first source that yields anything wins,
so a JSON example quoted in prose never adds to real calls.

A call that is clearly meant but unreadable (cut off, broken JSON inside a `<tool_call>`) comes back
with `error` set so the model can be told; it is never guessed at. `parse_tool_calls` never raises.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from .call_checks import validate_call
from .fences import fenced_blocks, strip_chatter
from .lenient_json import LenientJSONError, decode_value, loads
from .normalize import NAME_ALIASES, canonical_tool, infer_tool, normalize_call
from .types import Extraction, ToolCall

MAX_CALLS = 64
MAX_SCAN_ATTEMPTS = 256
RAW_CHARS = 400

_NAME_KEYS = ("name", "tool", "tool_name", "function", "function_name", "recipient_name", "action")
_ARG_KEYS = ("arguments", "parameters", "args", "input", "params", "tool_input", "action_input", "argument")
_WRAPPER_KEYS = ("tool_calls", "calls", "tools", "function_calls", "tool_uses", "actions")
_NESTED_KEYS = ("function_call", "tool_call", "call")
_META_KEYS = frozenset({"type", "id", "index", "call_id"})

_CALLISH = re.compile(r"""["']?\b(?:name|tool|tool_name|function)\b["']?\s*[:=]""")
_NAME_GUESS = re.compile(r"""["']?\b(?:name|tool|function)\b["']?\s*:\s*["']([\w.-]+)""")
_CANDIDATE = re.compile(r"""\{\s*(?:["'}]|[A-Za-z_]\w*\s*:)|\[\s*[{\]]""")
_OPEN = re.compile(r"[{\[]")
_HERMES_OPEN = re.compile(r"<tool_call>|<\|tool_call\|>|<tool_calls>", re.I)
_HERMES_CLOSE = re.compile(r"</tool_call>|</tool_calls>|<\|/tool_call\|>", re.I)
_FUNCTION_TAG = re.compile(r"<function=([^>\s]+)>", re.I)
_FUNCTION_CLOSE = re.compile(r"</function>", re.I)
_PARAMETER = re.compile(r"<parameter=([^>\s]+)>", re.I)
_PARAMETER_CLOSE = re.compile(r"</parameter>", re.I)
_PYTHON_TAG = "<|python_tag|>"
_MISTRAL = "[TOOL_CALLS]"
_MISTRAL_NAMED = re.compile(r"\s*([\w.-]+)(?:\[CALL_ID\][^\[]*)?\[ARGS\]")
_REACT = re.compile(r"^\s*Action:\s*`?([\w.-]+)`?\s*\n\s*Action Input:\s*", re.M)
_DS_BEGIN = "<｜tool▁call▁begin｜>"
_DS_SEP = "<｜tool▁sep｜>"
_DS_END = re.compile(r"<｜tool▁call▁end｜>|<｜tool▁calls▁end｜>")
_JSONISH_FENCES = frozenset({"", "json", "jsonc", "json5", "tool_call", "tool_calls", "tool", "javascript",
                              "js", "jsonl"})
_PY_NAMES = sorted({*NAME_ALIASES, *(v for v in NAME_ALIASES.values())}, key=len, reverse=True)
_PY_START = re.compile(r"^\[?\s*(?:" + "|".join(map(re.escape, _PY_NAMES)) + r")\s*\(", re.I)


def parse_tool_calls(text: str, native: list[dict[str, Any]] | None = None) -> list[ToolCall]:
    """Every tool call in a reply, normalised (canonical names), unvalidated.

    Native calls (`{"name", "arguments"}` dicts, arguments possibly a JSON string, or the OpenAI
    `{"function": {...}}` shape) win when present; otherwise the text is read. Never raises: an
    internal failure comes back as one call with `error` set.
    """
    try:
        if native:
            calls = [c for item in native for c in _native_calls(item)]
            if calls:
                return calls[:MAX_CALLS]
        return _text_calls(text if isinstance(text, str) else "")[:MAX_CALLS]
    except Exception as exc:  # the contract is "never raises"; a bug here must not crash a job
        return [ToolCall("", {}, error=f"internal error reading tool calls: {type(exc).__name__}: {exc}")]


def extract_calls(text: str, native: list[dict[str, Any]] | None = None, *,
                  allowed: tuple[str, ...] | list[str] | None = None) -> Extraction:
    """Parse, validate and de-duplicate. Invalid calls, Bash, and tools not in `allowed` are rejected
    with the reason (send `Extraction.feedback()` back to the model once)."""
    out = Extraction()
    for call in parse_tool_calls(text, native):
        reason = validate_call(call)
        if reason is None and allowed is not None and call.name not in allowed:
            reason = f"{call.name} is not available here (use {', '.join(allowed)})"
        if reason is not None:
            out.rejected.append((call, reason))
        elif call not in out.calls:
            out.calls.append(call)
    return out


# -- sources ------------------------------------------------------------------------------------------


def _native_calls(item: Any) -> list[ToolCall]:
    if not isinstance(item, dict):
        dump = getattr(item, "model_dump", None)
        item = dump() if callable(dump) else dict(getattr(item, "__dict__", {}))
    if not isinstance(item, dict):
        return []
    raw = json.dumps(item, default=str, ensure_ascii=False)[:RAW_CHARS]
    return _calls_from_value(item, "native", raw)


def _text_calls(text: str) -> list[ToolCall]:
    text = strip_chatter(text)
    found, calls = _marker_calls(text)
    if found:
        return calls
    calls = []
    fences = fenced_blocks(text)
    for fence in fences:
        if fence.language in _JSONISH_FENCES:
            calls += _segment_calls(fence.content, "fence", strict=False)
    if calls:
        return calls
    for candidate in [f.content for f in fences] + [text]:
        calls += _pythonic_calls(candidate)
    if calls:
        return calls
    return _bare_calls(text)


def _marker_calls(text: str) -> tuple[bool, list[ToolCall]]:
    """Calls from explicit markers; (False, []) when the text has none."""
    if _HERMES_OPEN.search(text):
        calls: list[ToolCall] = []
        for seg in _segments(text, _HERMES_OPEN, _HERMES_CLOSE):
            if len(calls) >= MAX_CALLS:
                break
            if _FUNCTION_TAG.search(seg):
                calls += _function_tag_calls(seg)
            else:
                calls += _segment_calls(seg, "hermes", strict=True)
        return True, calls
    if _FUNCTION_TAG.search(text):
        return True, _function_tag_calls(text)
    if _PYTHON_TAG in text:
        calls = []
        for seg in text.split(_PYTHON_TAG)[1 : MAX_CALLS + 1]:
            calls += _segment_calls(seg, "python_tag", strict=True) or _pythonic_calls(seg)
        return True, calls
    if _MISTRAL in text:
        return True, _mistral_calls(text)
    if _DS_BEGIN in text:
        return True, _deepseek_calls(text)
    react = list(_REACT.finditer(text))
    if react:  # ReAct: "Action: Read\nAction Input: {...}"
        calls = []
        for k, m in enumerate(react[:MAX_CALLS]):
            limit = react[k + 1].start() if k + 1 < len(react) else len(text)
            calls += _segment_calls(text[m.end() : limit], "react", strict=True, name=m.group(1), first_only=True)
        return True, calls
    return False, []


def _segments(text: str, opener: re.Pattern[str], closer: re.Pattern[str]) -> list[str]:
    """Bodies after each opener, up to its closer, the next opener, or the end (missing closing tag)."""
    starts = [m for m in opener.finditer(text)]
    out = []
    for k, m in enumerate(starts):
        limit = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        close = closer.search(text, m.end(), limit)
        out.append(text[m.end() : close.start() if close else limit])
    return out


def _function_tag_calls(text: str) -> list[ToolCall]:
    """`<function=Edit>{json}</function>` (Llama 3.1) or with `<parameter=path>...` bodies (Qwen3-Coder)."""
    calls: list[ToolCall] = []
    tags = list(_FUNCTION_TAG.finditer(text))
    for k, m in enumerate(tags[:MAX_CALLS]):
        limit = tags[k + 1].start() if k + 1 < len(tags) else len(text)
        close = _FUNCTION_CLOSE.search(text, m.end(), limit)
        body = text[m.end() : close.start() if close else limit]
        name = m.group(1).strip("\"'")
        if _PARAMETER.search(body):
            args: dict[str, Any] = {}
            for pname, pbody in zip(
                [p.group(1).strip("\"'") for p in _PARAMETER.finditer(body)],
                _segments(body, _PARAMETER, _PARAMETER_CLOSE),
                strict=True,
            ):
                args[pname] = _parameter_value(pbody)
            calls.append(normalize_call(name, args, raw=body[:RAW_CHARS], source="function_tag"))
        elif body.strip():
            calls += _segment_calls(body, "function_tag", strict=True, name=name)
        else:
            calls.append(normalize_call(name, {}, raw=m.group(), source="function_tag"))
    return calls


def _parameter_value(body: str) -> Any:
    """A `<parameter=...>` body: text with one leading/trailing newline removed; JSON lists/objects decoded."""
    value = body[1:] if body.startswith("\n") else body
    value = value[:-1] if value.endswith("\n") else value
    if value.strip()[:1] in ("[", "{"):
        try:
            return loads(value)
        except LenientJSONError:
            return value
    return value


def _mistral_calls(text: str) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for seg in text.split(_MISTRAL)[1 : MAX_CALLS + 1]:
        m = _MISTRAL_NAMED.match(seg)
        if m:
            calls += _segment_calls(seg[m.end() :], "mistral", strict=True, name=m.group(1))
        else:
            calls += _segment_calls(seg, "mistral", strict=True)
    return calls


def _deepseek_calls(text: str) -> list[ToolCall]:
    """`<｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\\n```json{args}```` (V2.5/V3) or `NAME<｜tool▁sep｜>{args}` (V3.1)."""
    calls: list[ToolCall] = []
    for piece in text.split(_DS_BEGIN)[1 : MAX_CALLS + 1]:
        end = _DS_END.search(piece)
        piece = piece[: end.start()] if end else piece
        head, sep, rest = piece.partition(_DS_SEP)
        if not sep:
            calls += _segment_calls(piece, "deepseek", strict=True)
            continue
        if head.strip() in ("function", ""):
            name, _, rest = rest.lstrip().partition("\n")
            if "{" in name:  # NAME{args} on one line
                name, brace, tail = name.partition("{")
                rest = brace + tail + "\n" + rest
        else:
            name = head
        calls += _segment_calls(rest, "deepseek", strict=True, name=name.strip())
    return calls


def _pythonic_calls(text: str) -> list[ToolCall]:
    """`[Edit(path="a.py", old_string="x", new_string="y")]`: keyword arguments with literal values only."""
    stripped = text.strip()
    if not _PY_START.match(stripped) or len(stripped) > 200_000:
        return []
    try:
        tree = ast.parse(stripped)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    calls: list[ToolCall] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if canonical_tool(node.func.id) is None:
            continue
        try:
            args = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            calls.append(ToolCall(canonical_tool(node.func.id) or node.func.id, {},
                                  error="arguments must be literal values", source="pythonic"))
            continue
        calls.append(normalize_call(node.func.id, args, raw=ast.get_source_segment(stripped, node) or "",
                                    source="pythonic"))
    return calls[:MAX_CALLS]


def _bare_calls(text: str) -> list[ToolCall]:
    """Call-shaped JSON anywhere in prose; only a cut-off value that looks like a call is reported."""
    calls: list[ToolCall] = []
    pos = 0
    attempts = 0
    while attempts < MAX_SCAN_ATTEMPTS and len(calls) < MAX_CALLS:
        m = _CANDIDATE.search(text, pos)
        if not m:
            break
        attempts += 1
        try:
            value, end = decode_value(text, m.start())
        except LenientJSONError as exc:
            tail = text[m.start() :]
            if exc.truncated and _CALLISH.search(tail[:2000]):
                calls.append(_broken(tail, exc, "bare"))
                break
            pos = m.start() + 1
            continue
        calls += _calls_from_value(value, "bare", text[m.start() : end][:RAW_CHARS])
        pos = end
    return calls


# -- values -> calls ----------------------------------------------------------------------------------


def _segment_calls(seg: str, source: str, *, strict: bool, name: str | None = None,
                   first_only: bool = False) -> list[ToolCall]:
    """Every JSON value in a region meant to hold calls (or, with `name`, that tool's arguments).

    `strict` (inside an explicit marker): anything unreadable or name-less is reported. Otherwise
    (a fenced block) only what looks like a call is.
    """
    stripped = seg.strip()
    if stripped.startswith(("```", "~~~")):
        seg = "\n".join(f.content for f in fenced_blocks(stripped))
    calls: list[ToolCall] = []
    pos = 0
    while len(calls) < MAX_CALLS:
        m = _OPEN.search(seg, pos)
        if not m:
            if strict and name and not calls:  # a named call without arguments
                calls.append(normalize_call(name, {}, raw=seg[:RAW_CHARS], source=source))
            elif strict and not calls and seg.strip():
                calls.append(ToolCall("", {}, error="a tool call block without a JSON call in it",
                                      raw=seg[:RAW_CHARS], source=source))
            break
        hint = name or _last_word(seg[pos : m.start()])
        try:
            value, end = decode_value(seg, m.start())
        except LenientJSONError as exc:
            if strict or _CALLISH.search(seg[m.start() : m.start() + 2000]) or (name and exc.truncated):
                calls.append(_broken(seg[m.start() :], exc, source, name))
            break
        raw = seg[m.start() : end][:RAW_CHARS]
        if name is not None:
            found = [_make_call(name, value, source, raw)]
        else:
            found = _calls_from_value(value, source, raw, hint)
        if not found and strict and value not in ({}, []):
            found = [ToolCall("", {}, error="a tool call block without a tool name", raw=raw, source=source)]
        calls += found
        pos = end
        if first_only:
            break
    return calls


def _calls_from_value(v: Any, source: str, raw: str, hint: str | None = None, depth: int = 0) -> list[ToolCall]:
    if depth > 8:
        return []
    if isinstance(v, list):
        return [c for item in v[:MAX_CALLS] for c in _calls_from_value(item, source, raw, None, depth + 1)]
    if not isinstance(v, dict):
        return []
    for key in _WRAPPER_KEYS:
        if isinstance(v.get(key), list):
            return _calls_from_value(v[key], source, raw, None, depth + 1)
    for key in _NESTED_KEYS:
        if isinstance(v.get(key), dict):
            return _calls_from_value(v[key], source, raw, None, depth + 1)
    fn = v.get("function")
    if isinstance(fn, dict) and isinstance(fn.get("name"), str):
        return _calls_from_value(fn, source, raw, None, depth + 1)
    name = next((v[k] for k in _NAME_KEYS if isinstance(v.get(k), str) and v[k].strip()), None)
    if name is not None:
        args_key = next((k for k in _ARG_KEYS if k in v), None)
        if args_key is not None:
            return [_make_call(name, v[args_key], source, raw)]
        rest = {k: val for k, val in v.items() if k not in _NAME_KEYS and k not in _META_KEYS}
        if canonical_tool(name) or infer_tool(rest):  # flattened: {"name": "Edit", "path": ..., ...}
            return [_make_call(name, rest, source, raw)]
        return []
    if hint and canonical_tool(hint):
        return [_make_call(hint, v, source, raw)]
    if infer_tool(v) in ("Edit", "Report"):  # bare Edit arguments (json_schema output) or {"findings": [...]}
        return [_make_call("", v, source, raw)]
    return []


def _make_call(name: str, args: Any, source: str, raw: str) -> ToolCall:
    label = canonical_tool(name) or name
    for _ in range(2):  # arguments given as a JSON string, sometimes twice encoded
        if not isinstance(args, str):
            break
        if not args.strip():
            args = {}
            break
        try:
            args = loads(args)
        except LenientJSONError as exc:
            why = "cut off" if exc.truncated else "not valid JSON"
            return ToolCall(label, {}, error=f"the arguments of {label or 'the call'} are {why}", raw=raw,
                            source=source)
    if args is None:
        args = {}
    if not isinstance(args, dict):
        return ToolCall(label, {}, error=f"the arguments of {label or 'the call'} must be a JSON object",
                        raw=raw, source=source)
    return normalize_call(name, args, raw=raw, source=source)


def _broken(snippet: str, exc: LenientJSONError, source: str, name: str | None = None) -> ToolCall:
    guess = _NAME_GUESS.search(snippet[:2000])
    label = name or (guess.group(1) if guess else "")
    label = canonical_tool(label) or label
    if exc.truncated:
        why = "is cut off: the reply ended inside it (shorter edits, or more max_tokens)"
    else:
        why = f"is not valid JSON ({exc})"
    return ToolCall(label, {}, error=f"the {label or 'tool'} call {why}", raw=snippet[:RAW_CHARS], source=source)


def _last_word(text: str) -> str | None:
    m = re.search(r"([A-Za-z_][\w.-]*)\W*$", text)
    return m.group(1) if m else None
