"""Turning a `Report` call (1-based lines of the model's view) into `core.Finding`s (0-based document lines)."""

from __future__ import annotations

from ..core import Finding
from .types import ToolCall
from .validate import validate_call


def findings_from_report(call: ToolCall, first_line: int, line_count: int | None = None) -> list[Finding]:
    """Findings of a valid Report call; view line 1 is document line `first_line` (0-based).

    With `line_count` (lines shown), lines past the view are clamped to its last line, since a small
    model that miscounts still means "around here", and a finding outside the view would point at code
    it never saw. An invalid call gives no findings (check `validate_call` first to report why).
    """
    if call.name != "Report" or validate_call(call) is not None:
        return []
    last = first_line + line_count - 1 if line_count else None
    out = []
    for f in call.arguments["findings"]:
        start = first_line + f["start_line"] - 1
        end = first_line + f["end_line"] - 1
        if last is not None:
            start, end = min(start, last), min(end, last)
        out.append(Finding(start, end, f["severity"], f["message"].strip(), f.get("suggestion")))
    return out
