"""CodeJob: the pattern protocol (job.py) for the editor and the CLI, where a candidate is an edit of
the target block, an explanation of it, or review findings on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..core import Request
from ..edits import unified_diff
from ..models.base import Message
from . import prompts
from .checks import run_checks
from .explain import explain
from .formats import edit_format, rewrite, tool_calls
from .job import Candidate, PatternJob, Plan, Verdict
from .review import review
from .target import Target

if TYPE_CHECKING:
    from .evidence import EvidenceRun


@dataclass(kw_only=True)
class CodeJob(PatternJob):
    request: Request
    target: Target
    evidence_run: EvidenceRun | None = field(default=None, repr=False)
    """The job's evidence and the original code's results on it, gathered on first use (evidence.py)."""

    judge_template: ClassVar[str] = prompts.JUDGE

    @property
    def fence(self) -> str:
        return self.request.language or ""

    @property
    def makes_edits(self) -> bool:
        return self.request.action in ("implement", "fix")

    def fill(self, template: str, **extra: Any) -> str:
        """Fill a prompt template with the request's standard fields (unused ones are ignored)."""
        req = self.request
        fields: dict[str, Any] = {
            "language": req.language or "the given",
            "fence": self.fence,
            "kind": self.target.kind,
            "name": self.target.name,
            "code": self.target.text.rstrip("\n"),
            "original": self.target.text.rstrip("\n"),
            "context": self.target.context,
            "path": req.path.rsplit("/", 1)[-1],
            "task": prompts.TASKS.get(req.action, req.action),
            "instruction": (f"\nThe user says: {req.instruction}" if req.instruction else "") + self._facts(),
        }
        fields.update(extra)
        return template.format(**fields)

    def base_messages(self) -> list[Message]:
        msgs: list[Message] = [{"role": "system", "content": self.fill(prompts.SYSTEM)}]
        if self.target.context.strip():
            msgs.append({"role": "user", "content": self.fill(prompts.CONTEXT)})
            msgs.append({"role": "assistant", "content": "OK."})
        return msgs

    def _facts(self) -> str:
        failures = self.known_failures()
        if not failures:
            return ""
        return "\nRunning the current code on examples of what it must do:\n" + "\n".join(f"- {f}" for f in failures)

    # -- the protocol -----------------------------------------------------------------------------------

    async def prepare(self) -> None:
        if self.makes_edits:
            from .evidence import gather

            await gather(self)

    def known_failures(self) -> list[str]:
        run = self.evidence_run
        if run is None or run.original is None or run.original.error or self.request.action != "fix":
            return []
        return [r.describe() for r in run.original.failures][:3]

    async def produce(self, role: str, *, temperature: float | None = None, step: str = "draft",
                      plan: str | None = None, template: str | None = None, final: bool = False) -> Candidate:
        action = self.request.action
        if action == "explain":
            return await explain(self, role, temperature=temperature, step=step,
                                 template=template or prompts.EXPLAIN, extra={"plan": plan or ""},
                                 ground=template is None)
        if action == "review":
            return await self._review(role, temperature)
        if edit_format(self, role) == "tool_calls":
            return await tool_calls.draft(self, role, temperature=temperature, plan=plan, step=step)
        return await rewrite.draft(self, role, temperature=temperature, plan=plan, step=step, template=template)

    async def _review(self, role: str, temperature: float | None) -> Candidate:
        """Definition by definition with proof where running the code gives one (review_walk.py); a range
        with no definitions in it (or no outline for the language) is reviewed as one block."""
        from .evidence import proven_findings
        from .review import render_findings
        from .review_walk import review_walk

        walked = await review_walk(self, role, temperature=temperature)
        if walked is not None:
            return walked
        cand = await review(self, role, temperature=temperature)
        proven = await proven_findings(self)
        if proven and cand.findings is not None:
            cand.findings = (proven + cand.findings)[: self.config.review.max_findings]
            cand.text = render_findings(cand.findings)
        elif proven and cand.error:  # unreadable model answer: the proof still stands
            cand.error, cand.findings, cand.text = None, proven, render_findings(proven)
        return cand

    async def revise(self, cand: Candidate, role: str, feedback: str, *, step: str,
                     temperature: float | None = None, ran: bool = False) -> Candidate:
        action = self.request.action
        if action == "explain":
            extra = {"instruction": f"\nA reviewer found problems in an earlier answer: {feedback}"}
            return await explain(self, role, temperature=temperature, step=step, extra=extra, ground=True)
        if action == "review" or not cand.messages:
            return await self.produce(role, temperature=temperature, step=step)
        return await rewrite.revise(self, cand, role, feedback, step=step, temperature=temperature, ran=ran)

    async def extract(self, role: str, source: str | None, *, step: str, final: bool = False) -> Candidate:
        if not self.makes_edits:
            return await self.produce(role, step=step)
        return await tool_calls.draft(self, role, source_text=source, step=step)

    async def check(self, cand: Candidate) -> Candidate:
        return await run_checks(self, cand)

    async def verify(self, cand: Candidate, *, generate: bool = True) -> Verdict | None:
        from .evidence import verify_candidate

        return await verify_candidate(self, cand, generate=generate)

    def unverified_why(self) -> str:
        if not self.makes_edits:
            return ""
        run = self.evidence_run
        if run is None:
            return f"{self.route.pattern} runs no checks"
        return run.why_none or ("" if run.examples else "no executable evidence")

    def plans(self) -> bool:
        return self.makes_edits

    def editor_role(self) -> str:
        return "tools" if edit_format(self, "tools") == "tool_calls" else self.route.role

    def is_plan(self, cand: Candidate) -> bool:
        # prose without code where code was asked for: a plan for the next step
        return self.makes_edits and "```" not in cand.raw and not cand.usable

    def validation_prompt(self, cand: Candidate) -> str:
        if cand.edit is not None:
            return self.fill(prompts.VALIDATE, diff=unified_diff(cand.edit, self.request.path.rsplit("/", 1)[-1]))
        return self.fill(prompts.VALIDATE_TEXT, answer=cand.text)

    def followup_validation_prompt(self, cand: Candidate) -> str | None:
        if cand.edit is None:
            return None
        return self.fill(prompts.VALIDATE_FOLLOWUP)

    def judge_body(self, cand: Candidate) -> tuple[str, str]:
        if cand.edit is not None:
            return "diff", unified_diff(cand.edit, self.request.path.rsplit("/", 1)[-1])
        return "markdown", cand.text

    async def plan(self, role: str, *, step: str = "plan", template: str | None = None) -> Plan:
        cand = await explain(self, role, template=template or prompts.PLAN, step=step, max_tokens=256)
        if cand.error:
            from ..models.base import ModelError

            raise ModelError(f"architect: {cand.error}")
        return Plan(cand.text, cand.model)

