"""Review production: the target block shown with file line numbers (review cites lines, never quotes
them), the model's answer read as findings by one parser with one severity table."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..core import Finding, Severity
from ..toolcalls import extract_calls, number_lines, report_schema
from . import prompts
from .formats import supports_schema
from .job import Candidate

if TYPE_CHECKING:
    from .code import CodeJob

SEVERITY: dict[str, Severity] = {
    "error": "error", "bug": "error", "critical": "error", "high": "error", "fatal": "error",
    "warning": "warning", "medium": "warning", "warn": "warning",
    "info": "info", "low": "info", "note": "info",
    "hint": "hint", "style": "hint", "suggestion": "hint", "nit": "hint",
}
"""What models write -> LSP severity; anything else is a warning."""


async def review(job: CodeJob, role: str, *, temperature: float | None = None) -> Candidate:
    first_line = job.request.text.count("\n", 0, job.target.start)
    code = number_lines(job.target.text.rstrip("\n"), start=first_line + 1)
    messages = job.base_messages() + [{"role": "user", "content": job.fill(prompts.REVIEW, numbered=code)}]
    schema = report_schema() if supports_schema(job, role) else None
    c = await job.call(role, messages, step="review", what="reviewing", temperature=temperature, schema=schema)
    cand = Candidate(role=role, model=c.model, raw=c.text, messages=messages)
    findings = parse_findings(c.text, c.tool_calls, job.request.text, job.config.review.max_findings)
    if findings is None:
        cand.error = "the model's review could not be read as findings"
        return cand
    cand.findings = findings
    cand.text = render_findings(findings)
    return cand


def parse_json_object(text: str) -> Any:
    """The first JSON object or array in text (fences and prose tolerated); None if there is none."""
    dec = json.JSONDecoder()
    for m in re.finditer(r"[\[{]", text):
        try:
            value, _ = dec.raw_decode(text[m.start():])
        except json.JSONDecodeError:
            continue
        return value
    return None


def _raw_findings(text: str, native: list[dict[str, Any]] | None) -> list[Any] | None:
    """The finding objects in a reply: {"findings": [...]}, a bare list, or Report tool calls."""
    data = parse_json_object(text)
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        return data["findings"]
    if isinstance(data, dict) and isinstance(data.get("arguments"), dict):
        return data["arguments"].get("findings")
    if isinstance(data, list) and all(isinstance(x, dict) and "message" in x for x in data):
        return data
    reports = [c for c in extract_calls(text, native).calls if c.name == "Report"]
    if not reports:
        return None
    return [f for c in reports for f in c.arguments.get("findings", [])]


def parse_findings(text: str, native: list[dict[str, Any]] | None, doc: str, limit: int) -> list[Finding] | None:
    """Findings with 0-based document lines from a reply citing 1-based file lines (clamped to the
    document: a small model that miscounts still means "around here"); None when nothing is readable."""
    raw = _raw_findings(text, native)
    if raw is None:
        return None
    n_lines = doc.count("\n") + 1
    out: list[Finding] = []
    for f in raw:
        if not isinstance(f, dict) or not str(f.get("message", "")).strip():
            continue
        try:
            a = int(f.get("start_line", f.get("line", 1)))
            b = int(f.get("end_line", a))
        except (TypeError, ValueError):
            continue
        a, b = max(1, min(a, n_lines)), max(1, min(max(a, b), n_lines))
        sev = SEVERITY.get(str(f.get("severity", "warning")).lower().strip(), "warning")
        sug = f.get("suggestion")
        out.append(Finding(a - 1, b - 1, sev, str(f["message"]).strip(), str(sug).strip() if sug else None))
    return out[:limit]


def render_findings(findings: list[Finding]) -> str:
    if not findings:
        return "No problems found."
    lines = []
    for f in findings:
        where = f"line {f.start_line + 1}" + (f"-{f.end_line + 1}" if f.end_line != f.start_line else "")
        tail = f" — suggestion: {f.suggestion}" if f.suggestion else ""
        lines.append(f"- **{f.severity}** {where}: {f.message}{tail}")
    return "\n".join(lines)
