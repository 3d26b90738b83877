"""Edit formats (DESIGN.md "Edit formats"), one module each, the aider way: `rewrite` (the model returns
the target block rewritten; the server synthesises minimal Edit calls from the diff) and `tool_calls`
(the model emits Edit calls itself, schema-constrained where the backend can). Both end in the same
`apply_calls`, so validation, safety and delivery are one path. `edit_format` picks per endpoint."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..code import CodeJob

TOOL_CAPABLE = re.compile(r"hermes|gpt-|claude|qwen2\.5-(?:72b|32b|14b)|coder-32b|llama-3\.[13]-70b|:7b|7b-", re.I)
"""Models known to emit usable Edit tool calls; the rest rewrite blocks (data, like aider's model settings)."""


def edit_format(job: CodeJob, role: str) -> str:
    """The edit format of the endpoint that would serve `role` first."""
    try:
        ep = job.pool.endpoint(job.pool.chain(role)[0])
    except Exception:
        return "rewrite"
    if ep.edit_format != "auto":
        return ep.edit_format
    return "tool_calls" if TOOL_CAPABLE.search(ep.model or "") else "rewrite"


def supports_schema(job: CodeJob, role: str) -> bool:
    """Whether the endpoint serving `role` can constrain its output to a JSON schema."""
    try:
        return job.pool.endpoint(job.pool.chain(role)[0]).kind in ("embedded", "ollama", "openai")
    except Exception:
        return False
