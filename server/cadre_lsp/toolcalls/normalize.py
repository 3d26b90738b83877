"""Canonical tool and argument names for the many ways models spell the same call.

Kept as data (like aider keeps model quirks in data). Renames happen only when the canonical key is
absent, so an explicit `path` always wins over an alias. When a model names the *function it is
fixing* instead of the tool (Qwen2.5-Coder 0.5B did this in 5/5 replies),
the tool is inferred from the argument names, which are unambiguous for Edit and Write.
"""

from __future__ import annotations

import re
from typing import Any

from .specs import SEVERITIES, TOOL_SCHEMAS
from .types import ToolCall

NAME_ALIASES: dict[str, str] = {
    **{n.lower(): n for n in TOOL_SCHEMAS},
    "edit_file": "Edit", "editfile": "Edit", "str_replace": "Edit", "replace": "Edit", "replace_in_file": "Edit",
    "apply_edit": "Edit", "modify_file": "Edit", "multiedit": "Edit",
    "write_file": "Write", "writefile": "Write", "create_file": "Write", "write_to_file": "Write",
    "createfile": "Write", "create": "Write",
    "read_file": "Read", "readfile": "Read", "view": "Read", "view_file": "Read", "open_file": "Read", "cat": "Read",
    "glob_files": "Glob", "find_files": "Glob", "list_files": "Glob", "ls": "Glob",
    "search": "Grep", "search_files": "Grep", "grep_search": "Grep", "ripgrep": "Grep", "rg": "Grep",
    "bash": "Bash", "shell": "Bash", "run": "Bash", "execute": "Bash", "exec": "Bash", "run_command": "Bash",
    "execute_command": "Bash", "terminal": "Bash", "run_shell_command": "Bash", "python": "Bash",
    "report_findings": "Report", "review": "Report", "findings": "Report", "report_issues": "Report",
}

_PATH_ALIASES = ("file_path", "filepath", "filename", "file_name", "file", "target_file", "path_to_file")
ARG_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "Edit": {"path": _PATH_ALIASES,
             "old_string": ("old_str", "old", "old_text", "search", "find", "original", "old_code", "before"),
             "new_string": ("new_str", "new", "new_text", "replace", "replacement", "new_code", "after")},
    "Write": {"path": _PATH_ALIASES, "content": ("contents", "text", "file_text", "data", "code", "body")},
    "Read": {"path": _PATH_ALIASES, "offset": ("start_line", "line", "from_line"),
             "limit": ("lines", "count", "num_lines")},
    "Glob": {"pattern": ("glob", "glob_pattern", "pattern_glob", "name"),
             "path": ("dir", "directory", "folder", "root", "cwd", *_PATH_ALIASES)},
    "Grep": {"pattern": ("regex", "query", "search", "expression", "text"),
             "path": ("dir", "directory", "folder", *_PATH_ALIASES), "glob": ("include", "file_pattern", "files")},
    "Bash": {"command": ("cmd", "script", "shell", "code", "commands")},
    "Report": {"findings": ("issues", "problems", "results", "comments", "items")},
}
FINDING_ALIASES: dict[str, tuple[str, ...]] = {
    "start_line": ("line", "start", "line_start", "from_line", "lineno", "line_number", "first_line"),
    "end_line": ("end", "line_end", "to_line", "last_line", "end_lineno"),
    "severity": ("level", "type", "kind", "priority"),
    "message": ("msg", "description", "issue", "problem", "text", "comment"),
    "suggestion": ("fix", "suggested_fix", "replacement", "recommendation"),
}
SEVERITY_ALIASES: dict[str, str] = {
    **{s: s for s in SEVERITIES},
    "critical": "error", "high": "error", "bug": "error", "fatal": "error", "severe": "error",
    "warn": "warning", "medium": "warning", "moderate": "warning", "security": "warning",
    "low": "info", "note": "info", "information": "info", "minor": "info", "style": "info",
    "suggestion": "hint", "nit": "hint", "trivial": "hint",
}
IGNORED_ARGS = frozenset({"explanation", "reason", "reasoning", "thought", "thoughts", "description",
                          "summary", "why", "comment", "instructions"})
"""Commentary keys some models add to every call; dropped rather than failing validation."""


def canonical_tool(name: str) -> str | None:
    """`edit_file`, `functions.Edit`, `EDIT` -> `Edit`; None when the name is no tool of ours."""
    key = re.sub(r"^(functions?|tools?)[.:]", "", name.strip(), flags=re.I).strip().lower()
    return NAME_ALIASES.get(key) or NAME_ALIASES.get(key.replace("-", "_").replace(" ", "_"))


def infer_tool(arguments: dict[str, Any]) -> str | None:
    """Guess the tool from argument names alone, only where they are unambiguous."""
    keys = set(arguments)
    if _has_any(keys, "old_string", ARG_ALIASES["Edit"]["old_string"]) and _has_any(
        keys, "new_string", ARG_ALIASES["Edit"]["new_string"]
    ):
        return "Edit"
    if _has_any(keys, "path", _PATH_ALIASES) and _has_any(keys, "content", ARG_ALIASES["Write"]["content"]):
        return "Write"
    if "findings" in keys and isinstance(arguments.get("findings"), list):
        return "Report"
    return None


def normalize_call(name: str, arguments: dict[str, Any], *, raw: str = "", source: str = "") -> ToolCall:
    """Canonical tool name, canonical argument names, commentary dropped, numbers coerced."""
    tool = canonical_tool(name)
    if tool is None:
        tool = infer_tool(arguments) or name.strip()
    args = dict(arguments)
    for canon, aliases in ARG_ALIASES.get(tool, {}).items():
        if canon in args:
            continue
        for alias in aliases:
            if alias in args:
                args[canon] = args.pop(alias)
                break
    for key in IGNORED_ARGS & set(args):
        if tool in TOOL_SCHEMAS and key not in TOOL_SCHEMAS[tool]["properties"]:
            del args[key]
    if tool == "Read":
        for key in ("offset", "limit"):
            args[key] = _int_or_same(args[key]) if key in args else None
            if args[key] is None:
                del args[key]
    if tool == "Report" and isinstance(args.get("findings"), list):
        args["findings"] = [_normalize_finding(f) for f in args["findings"]]
    return ToolCall(tool, args, raw=raw, source=source)


def _normalize_finding(f: Any) -> Any:
    if not isinstance(f, dict):
        return f
    out = dict(f)
    for canon, aliases in FINDING_ALIASES.items():
        if canon not in out:
            for alias in aliases:
                if alias in out:
                    out[canon] = out.pop(alias)
                    break
    for key in ("start_line", "end_line"):
        if key in out:
            out[key] = _int_or_same(out[key])
    if isinstance(out.get("start_line"), list) and len(out["start_line"]) == 2:  # "line": [3, 5]
        out["start_line"], out["end_line"] = (_int_or_same(v) for v in out["start_line"])
    if "end_line" not in out and isinstance(out.get("start_line"), int):
        out["end_line"] = out["start_line"]
    sev = out.get("severity")
    if isinstance(sev, str):
        out["severity"] = SEVERITY_ALIASES.get(sev.strip().lower(), sev.strip().lower())
    elif "severity" not in out:
        out["severity"] = "warning"
    if out.get("suggestion") is None:
        out.pop("suggestion", None)
    return out


def _int_or_same(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*[+]?\d{1,9}\s*", v):
        return int(v)
    return v


def _has_any(keys: set[str], canon: str, aliases: tuple[str, ...]) -> bool:
    return canon in keys or any(a in keys for a in aliases)
