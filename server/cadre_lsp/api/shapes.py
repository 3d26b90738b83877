"""OpenAI wire shapes: request bodies in (checked, 400 with the parameter named), responses, stream
chunks and errors out. JSON-ready dicts; no HTTP types."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ..chat import ChatAnswer, ChatError, ChatRequest
from ..chat.messages import normalise_messages
from ..chat.run import pattern_of
from ..chat.tools import check_specs, offered
from ..config.schema import Config
from ..toolcalls import ToolCall

STATUS = {
    "bad_request": (400, "invalid_request_error", None),
    "unsupported": (400, "invalid_request_error", "unsupported"),
    "unauthorized": (401, "authentication_error", "invalid_api_key"),
    "not_found": (404, "invalid_request_error", "model_not_found"),
    "failed": (502, "server_error", "model_error"),
    "unavailable": (503, "server_error", "backend_unavailable"),
    "timeout": (504, "server_error", "timeout"),
    "internal": (500, "server_error", None),
}


def error_body(kind: str, message: str, param: str | None = None) -> tuple[int, dict[str, Any]]:
    status, etype, code = STATUS.get(kind, STATUS["internal"])
    return status, {"error": {"message": message, "type": etype, "param": param, "code": code}}


@dataclass
class Call:
    """One /v1/chat/completions request: the chat request plus how to answer it."""

    chat: ChatRequest
    model: str
    stream: bool
    include_usage: bool
    id: str
    created: int


def parse_body(body: Any, config: Config) -> Call:
    """Check a request body; every problem is a ChatError naming the parameter."""
    if not isinstance(body, dict):
        raise ChatError("the request body must be a JSON object", "bad_request")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ChatError("`model` is required (e.g. \"cadre:primary\")", "bad_request", param="model")
    messages = normalise_messages(body.get("messages"))
    temperature = _number(body, "temperature", 0, 2)
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise ChatError("`max_tokens` must be a positive integer", "bad_request", param="max_tokens")
    if body.get("n") not in (None, 1):
        raise ChatError("only n = 1 is supported", "bad_request", param="n")
    stream = body.get("stream")
    stream = False if stream is None else stream
    if not isinstance(stream, bool):
        raise ChatError("`stream` must be true or false", "bad_request", param="stream")
    options = body.get("stream_options") or {}
    chat = ChatRequest(messages=messages, pattern=pattern_of(model, config), temperature=temperature,
                       max_tokens=max_tokens, tools=check_specs(body.get("tools")),
                       tool_choice=body.get("tool_choice"))
    offered(chat)  # a bad tool_choice is a 400 now, not a failure after the first model call
    return Call(chat=chat, model=model, stream=stream,
                include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
                id=f"chatcmpl-{uuid.uuid4().hex[:24]}", created=int(time.time()))


def _number(body: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    v = body.get(key)
    if v is None:
        return None
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
        raise ChatError(f"`{key}` must be a number from {lo:g} to {hi:g}", "bad_request", param=key)
    return float(v)


def tool_calls_json(calls: list[ToolCall], *, indexed: bool = False) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(calls):
        item: dict[str, Any] = {"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function",
                                "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)}}
        out.append({"index": i, **item} if indexed else item)
    return out


def usage_json(answer: ChatAnswer) -> dict[str, int]:
    """Tokens of every model call the pattern made, not only the final one."""
    p, c = answer.prompt_tokens, answer.completion_tokens
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def cadre_json(answer: ChatAnswer) -> dict[str, Any]:
    """What ran, as an extra field OpenAI clients ignore: route, the model that answered, each step."""
    return {"pattern": answer.route.pattern, "route": answer.route.why, "answered_by": answer.model,
            "note": answer.note,
            "steps": [{"step": s.name, "role": s.role, "model": s.model, "seconds": round(s.seconds, 3),
                       "ok": s.ok} for s in answer.steps]}


def completion_json(call: Call, answer: ChatAnswer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text or None}
    if answer.tool_calls:
        message["tool_calls"] = tool_calls_json(answer.tool_calls)
    elif message["content"] is None:
        message["content"] = ""
    return {"id": call.id, "object": "chat.completion", "created": call.created, "model": call.model,
            "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason,
                         "logprobs": None}],
            "usage": usage_json(answer), "cadre": cadre_json(answer)}


def chunk_json(call: Call, delta: dict[str, Any], finish_reason: str | None = None,
               **extra: Any) -> dict[str, Any]:
    return {"id": call.id, "object": "chat.completion.chunk", "created": call.created, "model": call.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}], **extra}


def final_chunks(call: Call, answer: ChatAnswer) -> list[dict[str, Any]]:
    """After the text: the tool calls (if any), the finish reason, and usage when asked for."""
    out = []
    if answer.tool_calls:
        out.append(chunk_json(call, {"tool_calls": tool_calls_json(answer.tool_calls, indexed=True)}))
    out.append(chunk_json(call, {}, answer.finish_reason, cadre=cadre_json(answer)))
    if call.include_usage:
        out.append({**chunk_json(call, {}), "choices": [], "usage": usage_json(answer)})
    return out
