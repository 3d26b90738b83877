"""Turn one model call into what the action needs: an explanation, an edit, or review findings.

Edits come in two formats (DESIGN.md "Edit formats"): `rewrite` (the model returns the target block
rewritten; the server synthesises minimal Edit calls from the diff) and `tool_calls` (the model emits
Edit calls itself, constrained to a JSON schema where the backend can). Both end in the same
`apply_edit_calls`, so validation, safety and delivery are one path.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..core import Finding, Span, offset_of, position_of
from ..edits import (
    EditError,
    PathRefused,
    ScopeError,
    apply_edit_calls,
    check_scope,
    resolve_path,
    same_file,
)
from ..toolcalls import extract_calls, extract_code_block, rewrite_to_edits
from . import prompts
from .job import Candidate, PatternJob, Target

TOOL_CAPABLE = re.compile(r"hermes|gpt-|claude|qwen2\.5-(?:72b|32b|14b)|coder-32b|llama-3\.[13]-70b|:7b|7b-", re.I)
"""Models known to emit usable Edit tool calls; the rest rewrite blocks (data, like aider's model settings)."""


# -- target -----------------------------------------------------------------------------------------

def build_target(engine: Any, request: Any) -> Target:
    """The enclosing definition of the span (tree-sitter), else the selected whole lines."""
    from ..context import extract_context

    text = request.text
    ctx = None
    try:
        ctx = extract_context(text, request.language, request.span,
                              budget_tokens=engine.config.generation.context_tokens,
                              workspace_root=request.workspace_root)
    except Exception:
        ctx = None
    d = getattr(ctx, "target", None) if ctx else None
    s0, s1 = request.span.to_offsets(text)
    if d is not None and d.start_offset <= s0 and s1 <= max(d.end_offset + 1, s0):
        start = text.rfind("\n", 0, d.start_offset) + 1
        end = _line_end(text, d.end_offset)
        kind = "code" if d.kind in ("region", None, "") else d.kind
        name = d.name or ""
    else:
        start = text.rfind("\n", 0, s0) + 1
        end = _line_end(text, max(s0, s1 - 1) if s1 > s0 else s0)
        kind, name = "code", ""
    context = _render_context(ctx)
    return Target(start=start, end=end, text=text[start:end], kind=kind, name=name, context=context)


def _line_end(text: str, offset: int) -> int:
    nl = text.find("\n", offset)
    return len(text) if nl < 0 else nl + 1


def _render_context(ctx: Any) -> str:
    if ctx is None:
        return ""
    try:
        return ctx.render(include_target=False)
    except TypeError:
        return ""


def target_span(job: PatternJob) -> Span:
    text = job.request.text
    (l0, c0), (l1, c1) = position_of(text, job.target.start), position_of(text, job.target.end)
    return Span(l0, c0, l1, c1)


# -- explain ----------------------------------------------------------------------------------------

async def explain(job: PatternJob, role: str, *, temperature: float | None = None,
                  template: str = prompts.EXPLAIN, max_tokens: int | None = None, step: str = "explain",
                  extra: dict[str, Any] | None = None) -> Candidate:
    messages = job.base_messages() + [{"role": "user", "content": job.fill(template, **(extra or {}))}]
    c = await job.call(role, messages, step=step, what="explaining", temperature=temperature,
                       max_tokens=max_tokens)
    text = c.text.strip()
    cand = Candidate(role=role, model=c.model, raw=c.text, text=text, messages=messages)
    if not text:
        cand.error = "the model returned an empty answer"
    return cand


# -- edits ------------------------------------------------------------------------------------------

def edit_format(job: PatternJob, role: str) -> str:
    """The edit format of the endpoint that would serve `role` first."""
    pool = job.engine.pool
    try:
        ep = pool.endpoint(pool.chain(role)[0])
    except Exception:
        return "rewrite"
    if ep.edit_format != "auto":
        return ep.edit_format
    return "tool_calls" if TOOL_CAPABLE.search(ep.model or "") else "rewrite"


async def draft_edit(job: PatternJob, role: str, *, temperature: float | None = None,
                     prior: Candidate | None = None, feedback: str | None = None,
                     plan: str | None = None, step: str = "draft", template: str | None = None) -> Candidate:
    """Ask `role` for a changed target block and turn it into a checked FileEdit."""
    fmt = edit_format(job, role)
    if fmt == "tool_calls" and prior is None:
        return await tool_edit(job, role, temperature=temperature, plan=plan, step=step)
    if prior is not None and feedback is not None and prior.messages:
        messages = prior.messages + [{"role": "assistant", "content": prior.raw},
                                     {"role": "user", "content": job.fill(prompts.REVISE, feedback=feedback)}]
        what = "revising"
    else:
        if template is None:
            if plan:
                template = prompts.FOLLOW_PLAN
            else:
                template = prompts.IMPLEMENT if job.request.action == "implement" else prompts.FIX
        messages = job.base_messages() + [{"role": "user", "content": job.fill(template, plan=plan or "")}]
        what = "drafting"
    c = await job.call(role, messages, step=step, what=what, temperature=temperature)
    cand = Candidate(role=role, model=c.model, raw=c.text, messages=messages)
    return finish_rewrite(job, cand)


def finish_rewrite(job: PatternJob, cand: Candidate) -> Candidate:
    """Rewrite reply -> synthesised Edit calls -> FileEdit, or a candidate with the reason it failed."""
    block = extract_code_block(cand.raw, job.request.language, like=job.target.text)
    if block is None:
        cand.error = "no code block in the model's reply"
        return cand
    calls = rewrite_to_edits(job.request.path, job.target.text, block)
    if not calls:
        cand.error = "the model returned the code unchanged"
        return cand
    return apply_calls(job, cand, calls)


def apply_calls(job: PatternJob, cand: Candidate, calls: list[Any]) -> Candidate:
    """Edit calls -> one FileEdit on the job's file; anything aimed elsewhere is refused, not applied.

    With `allow_other_files` a call may name another path, which must still resolve inside the
    workspace and off protected paths; and since a job builds one FileEdit on the file it read, a
    call for any other file is refused rather than applied to this one."""
    req = job.request
    edits = job.engine.config.edits
    try:
        for call in calls:
            path = call.arguments.get("path") or ""
            target = check_scope(path, req.path, edits.allow_other_files, root=req.workspace_root)
            if target != req.path:
                if req.workspace_root:
                    resolve_path(req.workspace_root, target, edits.protected)
                if not same_file(target, req.path, req.workspace_root):
                    raise ScopeError(f"the edit targets {path}, but this job builds its edit on {req.path} "
                                     "only (one file per job)")
        cand.edit = apply_edit_calls(req.text, req.path, calls, target_span(job), version=req.version)
    except EditError as exc:
        cand.error = str(exc)
        return cand
    cand.text = cand.raw
    return cand


async def tool_edit(job: PatternJob, role: str, *, temperature: float | None = None, plan: str | None = None,
                    step: str = "extract_tools", source_text: str | None = None) -> Candidate:
    """Tool-call format: the model emits Edit calls (schema-constrained where supported); calls that
    fail validation are sent back once with the reasons, then reported, never half-applied."""
    from ..toolcalls import edit_calls_schema, extraction_messages, retry_messages

    req = job.request
    name = req.path.rsplit("/", 1)[-1]
    proposal = plan or source_text or job.fill("{task} in this {kind}.{instruction}")
    messages = extraction_messages(name, job.target.text, proposal, fence=job.fence)
    schema = edit_calls_schema(path=name) if _supports_schema(job, role) else None
    for attempt in range(2):
        c = await job.call(role, messages, step=step if not attempt else f"{step} retry",
                           what="extracting edits", temperature=temperature, schema=schema)
        cand = Candidate(role=role, model=c.model, raw=c.text, messages=messages)
        extraction = extract_calls(c.text, c.tool_calls or None)
        edits = [call for call in extraction.calls if call.name == "Edit"]
        refused = [f"{getattr(call, 'name', call)}: {why}" for call, why in extraction.rejected]
        refused += [f"{call.name}: {_not_run(job, call)}" for call in extraction.calls if call.name != "Edit"]
        if edits or not extraction.rejected or attempt:
            break
        messages = retry_messages(messages, c.text, extraction)
    if not edits:
        cand.error = "; ".join(refused) if refused else "the model proposed no Edit call"
        return cand
    cand = apply_calls(job, cand, edits)
    cand.refused = refused
    return cand


def _not_run(job: PatternJob, call: Any) -> str:
    """Why a valid non-Edit call (Write, Read, Glob, Grep) was set aside: this step applies Edit calls to
    the job's file only. Said out loud, so a model obeying an injected "also write ~/.ssh/..." is seen."""
    path = call.arguments.get("path")
    if isinstance(path, str) and path.strip() and job.request.workspace_root:
        try:
            resolve_path(job.request.workspace_root, path, job.engine.config.edits.protected)
        except PathRefused as exc:
            return str(exc)
    name = job.request.path.rsplit("/", 1)[-1]
    where = f"{path}: " if isinstance(path, str) and path.strip() else ""
    return f"{where}not run (this job only applies Edit calls to {name})"


def _supports_schema(job: PatternJob, role: str) -> bool:
    pool = job.engine.pool
    try:
        return pool.endpoint(pool.chain(role)[0]).kind in ("embedded", "ollama", "openai")
    except Exception:
        return False


# -- review -----------------------------------------------------------------------------------------

def numbered(text: str, first_line: int) -> str:
    """The target block with 1-based file line numbers (review cites lines, never quotes them)."""
    return "\n".join(f"{first_line + i + 1:>4}| {line}" for i, line in enumerate(text.rstrip("\n").split("\n")))


async def review(job: PatternJob, role: str, *, temperature: float | None = None) -> Candidate:
    from ..toolcalls import report_schema

    first_line = job.request.text.count("\n", 0, job.target.start)
    messages = job.base_messages() + [{"role": "user", "content": job.fill(
        prompts.REVIEW, numbered=numbered(job.target.text, first_line))}]
    schema = report_schema() if _supports_schema(job, role) else None
    c = await job.call(role, messages, step="review", what="reviewing", temperature=temperature, schema=schema)
    cand = Candidate(role=role, model=c.model, raw=c.text, messages=messages)
    findings = parse_findings(c.text, c.tool_calls, job.request.text, job.engine.config.review.max_findings)
    if findings is None:
        cand.error = "the model's review could not be read as findings"
        return cand
    cand.findings = findings
    cand.text = render_findings(findings, job.request.text)
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


def parse_findings(text: str, native: list[dict[str, Any]] | None, doc: str, limit: int) -> list[Finding] | None:
    data = parse_json_object(text)
    raw: list[Any] | None = None
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        raw = data["findings"]
    elif isinstance(data, dict) and isinstance(data.get("arguments"), dict):
        raw = data["arguments"].get("findings")
    elif isinstance(data, list) and all(isinstance(x, dict) and "message" in x for x in data):
        raw = data
    if raw is None:
        calls = extract_calls(text, native).calls
        reports = [c for c in calls if c.name == "Report"]
        if not reports:
            return None
        raw = [f for c in reports for f in c.arguments.get("findings", [])]
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
        sev = str(f.get("severity", "warning")).lower()
        if sev not in ("error", "warning", "info", "hint"):
            sev = {"critical": "error", "high": "error", "medium": "warning", "low": "info"}.get(sev, "warning")
        sug = f.get("suggestion")
        out.append(Finding(a - 1, b - 1, sev, str(f["message"]).strip(),  # type: ignore[arg-type]
                           str(sug).strip() if sug else None))
    return out[:limit]


def render_findings(findings: list[Finding], doc: str) -> str:
    if not findings:
        return "No problems found."
    lines = []
    for f in findings:
        where = f"line {f.start_line + 1}" + (f"-{f.end_line + 1}" if f.end_line != f.start_line else "")
        tail = f" — suggestion: {f.suggestion}" if f.suggestion else ""
        lines.append(f"- **{f.severity}** {where}: {f.message}{tail}")
    return "\n".join(lines)


def span_of_lines(text: str, start_line: int, end_line: int) -> tuple[int, int]:
    return offset_of(text, start_line, 0), offset_of(text, end_line + 1, 0)


async def produce(job: PatternJob, role: str, *, temperature: float | None = None, step: str = "draft",
                  prior: Candidate | None = None, feedback: str | None = None, plan: str | None = None,
                  template: str | None = None) -> Candidate:
    """What the request's action needs, from one role."""
    action = job.request.action
    if action == "explain":
        if prior is not None and feedback:
            extra = {"instruction": f"\nA reviewer found problems in an earlier answer: {feedback}"}
            return await explain(job, role, temperature=temperature, step=step, extra=extra)
        return await explain(job, role, temperature=temperature, step=step,
                             template=template or prompts.EXPLAIN,
                             extra={"plan": plan or ""})
    if action == "review":
        return await review(job, role, temperature=temperature)
    return await draft_edit(job, role, temperature=temperature, prior=prior, feedback=feedback, plan=plan,
                            step=step, template=template)
