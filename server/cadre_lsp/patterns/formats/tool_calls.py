"""The `tool_calls` edit format: the model emits Edit calls (Hermes `<tool_call>`, fenced JSON or native
calls), constrained to a JSON schema where the backend can. Calls that fail validation are sent back
once with the reasons, then reported, never half-applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...toolcalls import edit_calls_schema, extract_calls, extraction_messages, retry_messages
from ..job import Candidate
from . import supports_schema
from .apply import apply_calls, not_run

if TYPE_CHECKING:
    from ..code import CodeJob


async def draft(job: CodeJob, role: str, *, temperature: float | None = None, plan: str | None = None,
                step: str = "extract_tools", source_text: str | None = None) -> Candidate:
    """Edit calls from `role` for the proposal (a plan, an earlier answer, or the task itself)."""
    name = job.request.path.rsplit("/", 1)[-1]
    proposal = plan or source_text or job.fill("{task} in this {kind}.{instruction}")
    messages = extraction_messages(name, job.target.text, proposal, fence=job.fence)
    schema = edit_calls_schema(path=name) if supports_schema(job, role) else None
    for attempt in range(2):
        c = await job.call(role, messages, step=step if not attempt else f"{step} retry",
                           what="extracting edits", temperature=temperature, schema=schema)
        cand = Candidate(role=role, model=c.model, raw=c.text, messages=messages)
        extraction = extract_calls(c.text, c.tool_calls or None)
        edits = [call for call in extraction.calls if call.name == "Edit"]
        refused = [f"{getattr(call, 'name', call)}: {why}" for call, why in extraction.rejected]
        refused += [f"{call.name}: {not_run(job, call)}" for call in extraction.calls if call.name != "Edit"]
        if edits or not extraction.rejected or attempt:
            break
        messages = retry_messages(messages, c.text, extraction)
    if not edits:
        cand.error = "; ".join(refused) if refused else "the model proposed no Edit call"
        return cand
    cand = apply_calls(job, cand, edits)
    cand.refused = refused
    return cand
