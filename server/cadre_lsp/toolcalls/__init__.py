"""Tool calls from model output: the tools, the parser, validation, constrained schemas, prompts, and the
rewrite edit format that turns a rewritten block into the same Edit calls.

Nothing here touches files; `cadre_lsp.edits` turns valid calls into FileEdits and answers.
"""

from .call_checks import SHELL_REFUSED, validate_call
from .constrained import edit_calls_schema, report_schema, response_format
from .fences import Fence, canonical_language, fenced_blocks, strip_chatter
from .messages import extraction_messages, number_lines, retry_messages, rewrite_messages
from .normalize import canonical_tool, normalize_call
from .parse import extract_calls, parse_tool_calls
from .rewrite import RewriteError, extract_code_block, fit_rewrite, rewrite_to_edits
from .specs import (
    ALL_TOOLS,
    EDIT_TOOLS,
    READONLY_TOOLS,
    REVIEW_TOOLS,
    TOOL_DESCRIPTIONS,
    TOOL_SCHEMAS,
    tool_schema,
    tool_specs,
)
from .types import Extraction, ToolCall

__all__ = [
    "ALL_TOOLS",
    "EDIT_TOOLS",
    "READONLY_TOOLS",
    "REVIEW_TOOLS",
    "SHELL_REFUSED",
    "TOOL_DESCRIPTIONS",
    "TOOL_SCHEMAS",
    "Extraction",
    "Fence",
    "RewriteError",
    "ToolCall",
    "canonical_language",
    "canonical_tool",
    "edit_calls_schema",
    "extract_calls",
    "extract_code_block",
    "extraction_messages",
    "fenced_blocks",
    "fit_rewrite",
    "normalize_call",
    "number_lines",
    "parse_tool_calls",
    "report_schema",
    "response_format",
    "retry_messages",
    "rewrite_messages",
    "rewrite_to_edits",
    "strip_chatter",
    "tool_schema",
    "tool_specs",
    "validate_call",
]
