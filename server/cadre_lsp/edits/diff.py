"""A FileEdit as a unified diff, for the CLI and for validator prompts."""

from __future__ import annotations

import difflib

from ..core import FileEdit


def unified_diff(edit: FileEdit, label: str, context: int = 3) -> str:
    """`git diff`-style text of what the edit does ("" when it changes nothing)."""
    before = "" if edit.create else edit.base_text
    after = edit.apply()
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile="/dev/null" if edit.create else f"a/{label}",
        tofile=f"b/{label}",
        n=context,
    )
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
