"""Chat messages for extraction and rewrite, built from the templates in prompts.py.

Each builder puts the stable part first (system prompt, then the file) so consecutive calls of a job,
and the retry after rejected calls, share a KV-cache prefix.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models.base import Message
from .tool_prompts import (
    EXTRACT_CHANGE,
    EXTRACT_FILE,
    EXTRACT_SYSTEM,
    REVIEW_NUMBERED_LINE,
    REWRITE_SYSTEM,
    REWRITE_USER,
    TOOL_LINES,
)
from .types import Extraction


def extraction_messages(path: str, code: str, proposal: str, *, fence: str = "",
                        tools: Iterable[str] = ("Edit",)) -> list[Message]:
    """Ask the tools model to turn `proposal` (another model's answer) into calls on `path`."""
    tool_lines = "\n".join(TOOL_LINES[t] for t in tools if t in TOOL_LINES)
    return [
        {"role": "system", "content": EXTRACT_SYSTEM.format(tool_lines=tool_lines)},
        {"role": "user", "content": EXTRACT_FILE.format(path=path, fence=fence, code=code.rstrip("\n"))
         + "\n\n" + EXTRACT_CHANGE.format(proposal=proposal.strip(), path=path)},
    ]


def rewrite_messages(code: str, task: str, *, language: str = "", fence: str = "", kind: str = "function",
                     instruction: str = "") -> list[Message]:
    """Ask a model to return the block rewritten in one fenced block (the `rewrite` edit format)."""
    extra = f"\nThe user says: {instruction}" if instruction else ""
    return [
        {"role": "system", "content": REWRITE_SYSTEM.format(language=language or "software")},
        {"role": "user", "content": REWRITE_USER.format(task=task, instruction=extra, fence=fence,
                                                        code=code.rstrip("\n"), kind=kind)},
    ]


def retry_messages(messages: list[Message], reply: str, extraction: Extraction) -> list[Message]:
    """The conversation continued with the model's reply and the reasons its calls were rejected."""
    return [*messages, {"role": "assistant", "content": reply},
            {"role": "user", "content": extraction.feedback()}]


def number_lines(code: str, start: int = 1) -> str:
    """Code with a `N| ` gutter, for review prompts only (the model cites lines but never quotes them)."""
    lines = code.split("\n")
    width = len(str(start + len(lines) - 1))
    return "\n".join(REVIEW_NUMBERED_LINE.format(number=start + i, width=width, line=line)
                     for i, line in enumerate(lines))

