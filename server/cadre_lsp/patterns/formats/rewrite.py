"""The `rewrite` edit format: the model returns the target block rewritten in one fenced block; the
server diffs it against the original and synthesises the Edit calls (small models rewrite far better
than they quote exact text: README "Models and edit formats")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...toolcalls import extract_code_block, rewrite_to_edits
from .. import prompts
from ..job import Candidate
from .apply import apply_calls

if TYPE_CHECKING:
    from ..code import CodeJob


async def draft(job: CodeJob, role: str, *, temperature: float | None = None, plan: str | None = None,
                step: str = "draft", template: str | None = None) -> Candidate:
    """Ask `role` for the changed target block and turn it into a checked FileEdit."""
    if template is None:
        if plan:
            template = prompts.FOLLOW_PLAN
        else:
            template = prompts.IMPLEMENT if job.request.action == "implement" else prompts.FIX
    messages = job.base_messages() + [{"role": "user", "content": job.fill(template, plan=plan or "")}]
    c = await job.call(role, messages, step=step, what="drafting", temperature=temperature)
    return finish(job, Candidate(role=role, model=c.model, raw=c.text, messages=messages))


async def revise(job: CodeJob, prior: Candidate, role: str, feedback: str, *, step: str,
                 temperature: float | None = None, ran: bool = False) -> Candidate:
    """The draft conversation continued with the feedback (the prefix comes from the KV cache);
    `ran`: the feedback is what running the code showed."""
    template = prompts.REVISE_RUN if ran else prompts.REVISE
    messages = prior.messages + [{"role": "assistant", "content": prior.raw},
                                 {"role": "user", "content": job.fill(template, feedback=feedback)}]
    c = await job.call(role, messages, step=step, what="revising", temperature=temperature)
    return finish(job, Candidate(role=role, model=c.model, raw=c.text, messages=messages))


def finish(job: CodeJob, cand: Candidate) -> Candidate:
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
