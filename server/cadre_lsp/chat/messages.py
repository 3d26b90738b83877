"""Checking and normalising the client's messages: text content only, roles the backends know."""

from __future__ import annotations

from typing import Any

from ..models.base import Message
from .types import ChatError

ROLES = ("system", "developer", "user", "assistant", "tool")


def normalise_messages(raw: Any) -> list[Message]:
    """OpenAI messages -> backend messages (content parts joined, "developer" read as "system").

    Anything a backend could not take is a ChatError naming the message, never silently dropped."""
    if not isinstance(raw, list) or not raw:
        raise ChatError("`messages` must be a non-empty list", "bad_request", param="messages")
    out: list[Message] = []
    for i, m in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise ChatError(f"{where} must be an object", "bad_request", param=where)
        role = m.get("role")
        if role not in ROLES:
            raise ChatError(f"{where}.role must be one of {', '.join(ROLES)}, got {role!r}", "bad_request",
                            param=f"{where}.role")
        msg: Message = {"role": "system" if role == "developer" else role,
                        "content": _text(m.get("content"), where)}
        if role == "assistant" and m.get("tool_calls"):
            msg["tool_calls"] = m["tool_calls"]
        if role == "tool" and m.get("tool_call_id"):
            msg["tool_call_id"] = m["tool_call_id"]
        out.append(msg)
    if not any(m["role"] == "user" for m in out):
        raise ChatError("`messages` needs at least one user message", "bad_request", param="messages")
    return out


def _text(content: Any, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        parts = []
        for j, part in enumerate(content):
            if not (isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)):
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ChatError(f"{where}.content[{j}]: only text parts are supported, got {kind!r}",
                                "bad_request", param=f"{where}.content")
            parts.append(part["text"])
        return "".join(parts)
    raise ChatError(f"{where}.content must be a string or a list of text parts", "bad_request",
                    param=f"{where}.content")


def last_user_text(messages: list[Message]) -> str:
    """What the user asked last (routing and the validator/judge prompts read it)."""
    return next((str(m["content"]) for m in reversed(messages) if m["role"] == "user"), "")
