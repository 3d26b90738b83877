"""What every pattern works on: a PatternJob, the candidates it makes, and the verdicts on them.

The pattern loops (builtin.py, custom.py) are written once over this protocol; what a step produces
and how it is checked and shaped differs by front end, so there are two implementations: `CodeJob`
(patterns/code.py: edits, explanations and findings for the editor and the CLI) and `ChatJob`
(chat/answer.py: answers to a conversation for the HTTP API). Like aider's coders: one loop, variants
as subclasses.

`PatternJob.call` is the single helper every model call goes through: it reports progress (step,
role, model, tokens/s), records a StepRecord, and lets cancellation flow straight into the request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..core import FileEdit, Finding, ProgressCallback, ProgressEvent, Route, StepRecord
from ..models.base import Completion, Message, TokenCallback, emit

if TYPE_CHECKING:
    from ..config.schema import Config
    from ..models.pool import ModelPool
    from .evidence import Verification


ROLE_WORDS = {
    "reasoning": "reasoning model",
    "coding": "coding model",
    "validator": "validator",
    "competitor": "competitor",
    "judge": "judge",
    "tools": "tools model",
    "summarizer": "summarizer",
}


@dataclass
class Candidate:
    """One model's answer, turned into what the action needs (an edit, findings or text)."""

    role: str
    model: str
    raw: str = ""
    text: str = ""
    edit: FileEdit | None = None
    findings: list[Finding] | None = None
    error: str | None = None
    checks: list[str] = field(default_factory=list)
    """Deterministic check failures (parse errors, edit does not apply, check command failed)."""
    refused: list[str] = field(default_factory=list)
    """Tool calls refused (e.g. Bash: never run), reported to the user."""
    messages: list[Message] = field(default_factory=list)
    """The conversation that produced it, so a revision continues it (and reuses the KV cache)."""
    verification: Verification | None = None
    """What running it on the evidence showed (code edits only; None = not run)."""

    @property
    def usable(self) -> bool:
        return self.error is None and not self.checks


@dataclass
class Verdict:
    passed: bool
    reasons: list[str]
    source: str
    """"checks" when deterministic checks decided, "evidence" when running the code did, else the
    validator's model name."""


@dataclass
class Plan:
    text: str
    model: str


@dataclass
class Outcome:
    """A pattern's pick; `partial` when it could not finish cleanly (delivered with a warning)."""

    candidate: Candidate | None
    partial: bool = False
    verdict: Verdict | None = None
    """The last verdict on the candidate, when a check loop ran (a later `revise` step uses its reasons)."""


@dataclass(kw_only=True)
class PatternJob:
    """The state of one pattern run, and the protocol its front end implements (see module doc)."""

    config: Config
    pool: ModelPool
    route: Route
    progress: ProgressCallback
    steps: list[StepRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Short facts for the summary ("validator PASS", "judge picked ..."), in order."""
    started: float = field(default_factory=time.perf_counter)
    total_steps: int = 1
    done_steps: int = 0

    # -- the protocol: what differs between code edits and chat answers -------------------------------

    judge_template: ClassVar[str] = ""
    """The judge prompt, with a {candidates} field."""

    def fill(self, template: str, **extra: Any) -> str:
        raise NotImplementedError

    def base_messages(self) -> list[Message]:
        """The stable prefix every call of this job shares (system prompt, context)."""
        raise NotImplementedError

    @property
    def makes_edits(self) -> bool:
        """True when candidates are code edits (deterministic checks and evidence apply)."""
        return False

    async def produce(self, role: str, *, temperature: float | None = None, step: str = "draft",
                      plan: str | None = None, template: str | None = None, final: bool = False) -> Candidate:
        """One candidate from `role`; `final`: this call's text is the answer (the chat API streams it)."""
        raise NotImplementedError

    async def revise(self, cand: Candidate, role: str, feedback: str, *, step: str,
                     temperature: float | None = None, ran: bool = False) -> Candidate:
        """The conversation that made `cand` continued with the reasons it was rejected; `ran`: they are
        what running it showed (inputs, actual and expected values)."""
        raise NotImplementedError

    async def extract(self, role: str, source: str | None, *, step: str, final: bool = False) -> Candidate:
        """The tools role's turn: edits as tool calls (editor) or the client's tools (chat)."""
        raise NotImplementedError

    async def check(self, cand: Candidate) -> Candidate:
        """Deterministic checks a model cannot argue with; fills `cand.checks`."""
        return cand

    async def prepare(self) -> None:
        """Before the first draft of a checking pattern: gather what the candidates will be run on."""

    def known_failures(self) -> list[str]:
        """What running the current code showed to be wrong (said to the model with every request)."""
        return []

    async def verify(self, cand: Candidate, *, generate: bool = True) -> Verdict | None:
        """A verdict from running the candidate on its evidence, or None where there is none.
        `generate=False`: only what the code itself states (no model call)."""
        return None

    def unverified_why(self) -> str:
        """Why the delivered candidate was not run on any evidence ("" when it was or need not be)."""
        return ""

    def check_steps(self, name: str) -> None:
        """Refuse a custom pattern this front end cannot run, before any step runs (CadreError)."""

    def plans(self) -> bool:
        """Whether hybrid plans first for this request (an explanation needs no plan)."""
        return True

    def editor_role(self) -> str:
        """Who follows hybrid's plan."""
        return self.route.role

    def is_plan(self, cand: Candidate) -> bool:
        """A custom `generate` answer that is a plan for the next step rather than a candidate."""
        return False

    def validation_prompt(self, cand: Candidate) -> str:
        raise NotImplementedError

    def followup_validation_prompt(self, cand: Candidate) -> str | None:
        """The validation question asked as the next turn of the conversation that made `cand` (when the
        validator is the same model, so that conversation is still in its KV cache); None: ask afresh."""
        return None

    def judge_body(self, cand: Candidate) -> tuple[str, str]:
        """(fence language, body) the judge reads for one candidate."""
        return "markdown", cand.text

    async def plan(self, role: str, *, step: str = "plan", template: str | None = None) -> Plan:
        raise NotImplementedError

    # -- shared machinery -------------------------------------------------------------------------------

    async def say(self, message: str, *, step: str | None = None, role: str | None = None,
                  model: str | None = None, tps: float | None = None) -> None:
        pct = min(99, int(100 * self.done_steps / max(1, self.total_steps)))
        await self.progress(ProgressEvent(message, percentage=pct, step=step, role=role, model=model,
                                          tokens_per_s=tps))

    def record(self, name: str, seconds: float, *, ok: bool = True, note: str = "") -> None:
        """A step that is not a model call (a sandbox run), for the summary and the JSON."""
        self.steps.append(StepRecord(name, "sandbox", "python", seconds, ok=ok, note=note))

    async def call(self, role: str, messages: list[Message], *, step: str, what: str = "",
                   schema: dict[str, Any] | None = None, temperature: float | None = None,
                   max_tokens: int | None = None, tools: list[dict[str, Any]] | None = None,
                   on_token: TokenCallback | None = None) -> Completion:
        """One model call with progress before, during (tokens/s) and after. `on_token` also gets each
        fragment (the HTTP API streams the final step to its client through it)."""
        pool = self.pool
        model = pool.model_for(role)
        label = f"{ROLE_WORDS.get(role, role)} {what or step}".strip()
        await self.say(f"{label} ({model})", step=step, role=role, model=model)
        t0 = time.perf_counter()
        state = {"n": 0, "last": t0}

        async def counted(fragment: str) -> None:
            await emit(on_token, fragment)
            state["n"] += 1
            now = time.perf_counter()
            if now - state["last"] >= 1.0:
                state["last"] = now
                tps = state["n"] / max(1e-6, now - t0)
                await self.say(f"{label} ({model}) {state['n']} tokens, {tps:.1f} tok/s",
                               step=step, role=role, model=model, tps=tps)

        try:
            result = await pool.chat(role, messages, schema=schema, temperature=temperature,
                                     max_tokens=max_tokens, tools=tools, on_token=counted)
        except Exception as exc:
            self.steps.append(StepRecord(step, role, model, time.perf_counter() - t0, ok=False, note=str(exc)))
            raise
        finally:
            self.done_steps += 1
        note = f"fell back from {', '.join(result.fell_back_from)}" if result.fell_back_from else ""
        self.steps.append(StepRecord(step, role, result.model or model, time.perf_counter() - t0,
                                     result.usage.prompt_tokens, result.usage.completion_tokens, note=note,
                                     cached_tokens=result.usage.cached_tokens))
        return result


def rounds_note(rnd: int) -> str:
    return f" after {rnd} revision{'s' if rnd != 1 else ''}" if rnd else ""


async def say_revising(job: PatternJob, source: str, rnd: int, rounds: int, reasons: str, role: str) -> None:
    """The one progress line for "a check failed, revising" (validator or evidence)."""
    await job.say(f"{source}: FAIL — revising {rnd + 1}/{rounds}: {reasons}", step="revise", role=role)
