"""The tools a model may call, as JSON schemas and as OpenAI-style function specs.

Argument names follow Claude Code's tools with `path` in place of `file_path`; the parser
accepts `file_path` and other common spellings (normalize.py). Line numbers in `Report` are the 1-based
file line numbers the review prompt shows in its gutter; patterns/review.py reads them into findings.

`Bash` is described so a model that insists on one can be told why it was refused: the server never
runs shell commands proposed by a model. It is not offered by default (`EDIT_TOOLS`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

SEVERITIES = ("error", "warning", "info", "hint")

_PATH = {"type": "string", "minLength": 1, "description": "File path relative to the workspace root."}

FINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "start_line": {"type": "integer", "minimum": 1,
                       "description": "First line of the problem, 1-based, as numbered in the code shown."},
        "end_line": {"type": "integer", "minimum": 1, "description": "Last line of the problem (inclusive)."},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "message": {"type": "string", "minLength": 1, "description": "What is wrong, in one sentence."},
        "suggestion": {"type": "string", "description": "Optional replacement code or fix."},
    },
    "required": ["start_line", "end_line", "severity", "message"],
    "additionalProperties": False,
}

TOOL_SCHEMAS: dict[str, dict[str, Any]] = {
    "Edit": {
        "type": "object",
        "properties": {
            "path": _PATH,
            "old_string": {"type": "string", "minLength": 1,
                           "description": "Exact text to replace, copied from the file; must occur once."},
            "new_string": {"type": "string", "description": "Text that replaces old_string."},
        },
        "required": ["path", "old_string", "new_string"],
        "additionalProperties": False,
    },
    "Write": {
        "type": "object",
        "properties": {"path": _PATH, "content": {"type": "string", "description": "The whole new file."}},
        "required": ["path", "content"],
        "additionalProperties": False,
    },
    "Read": {
        "type": "object",
        "properties": {
            "path": _PATH,
            "offset": {"type": "integer", "minimum": 1, "description": "First line to read (1-based)."},
            "limit": {"type": "integer", "minimum": 1, "description": "Number of lines to read."},
        },
        "required": ["path"],
        "additionalProperties": False,
    },
    "Glob": {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "minLength": 1, "description": "Glob such as **/*.py."},
            "path": {"type": "string", "description": "Directory to search, relative to the root."},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    },
    "Grep": {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "minLength": 1, "description": "Python regular expression."},
            "path": {"type": "string", "description": "File or directory to search (default: root)."},
            "glob": {"type": "string", "description": "Only search files matching this glob."},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    },
    "Bash": {
        "type": "object",
        "properties": {"command": {"type": "string", "minLength": 1}},
        "required": ["command"],
        "additionalProperties": False,
    },
    "Report": {
        "type": "object",
        "properties": {"findings": {"type": "array", "items": FINDING_SCHEMA}},
        "required": ["findings"],
        "additionalProperties": False,
    },
}

TOOL_DESCRIPTIONS: dict[str, str] = {
    "Edit": "Replace one exact, unique piece of text in a file with new text. Keep edits small.",
    "Write": "Create a file, or replace a whole file, with the given content.",
    "Read": "Read a file of the workspace (plain text, no line numbers).",
    "Glob": "List workspace files whose path matches a glob pattern.",
    "Grep": "Search workspace files for a regular expression; returns path:line: text.",
    "Bash": "Shell commands are never run by this server; calls are refused.",
    "Report": "Report review findings with 1-based line numbers of the code shown.",
}

ALL_TOOLS: tuple[str, ...] = tuple(TOOL_SCHEMAS)
EDIT_TOOLS: tuple[str, ...] = ("Edit", "Write", "Read", "Glob", "Grep")
READONLY_TOOLS: tuple[str, ...] = ("Read", "Glob", "Grep")
REVIEW_TOOLS: tuple[str, ...] = ("Report", "Read", "Glob", "Grep")


def tool_schema(name: str) -> dict[str, Any]:
    """A copy of one tool's argument schema (callers may tighten it, e.g. add maxLength)."""
    return copy.deepcopy(TOOL_SCHEMAS[name])


def tool_specs(names: Iterable[str] = EDIT_TOOLS) -> list[dict[str, Any]]:
    """OpenAI `tools=[...]` entries for the named tools (also what llama.cpp, vLLM and Ollama accept)."""
    return [
        {
            "type": "function",
            "function": {"name": n, "description": TOOL_DESCRIPTIONS[n], "parameters": tool_schema(n)},
        }
        for n in names
    ]
