"""The state one pattern run works on, and the single helper every model call goes through.

`PatternJob.call` reports progress (step, role, model, tokens/s), records a StepRecord, and lets
cancellation flow straight into the model request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core import FileEdit, Finding, ProgressCallback, ProgressEvent, Request, Route, StepRecord
from ..models.base import Completion, Message, TokenCallback, emit

if TYPE_CHECKING:
    from ..pipeline import Engine


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
class Target:
    """The block the model sees and, for edits, rewrites: the enclosing definition or the selected lines."""

    start: int
    end: int
    text: str
    kind: str
    name: str
    context: str
    """Rendered prompt context (imports, referenced definitions), without the target itself."""


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

    @property
    def usable(self) -> bool:
        return self.error is None and not self.checks


@dataclass
class Verdict:
    passed: bool
    reasons: list[str]
    source: str
    """"checks" when deterministic checks decided, else the validator's model name."""


@dataclass
class PatternJob:
    engine: Engine
    request: Request
    route: Route
    progress: ProgressCallback
    target: Target
    steps: list[StepRecord] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    total_steps: int = 1
    done_steps: int = 0

    @property
    def fence(self) -> str:
        return self.request.language or ""

    def fill(self, template: str, **extra: Any) -> str:
        """Fill a prompt template with the request's standard fields (unused ones are ignored)."""
        from .prompts import TASKS

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
            "task": TASKS.get(req.action, req.action),
            "instruction": f"\nThe user says: {req.instruction}" if req.instruction else "",
        }
        fields.update(extra)
        return template.format(**fields)

    def base_messages(self) -> list[Message]:
        """System prompt + file context: the stable prefix every call of this job shares."""
        from .prompts import CONTEXT, SYSTEM

        msgs: list[Message] = [{"role": "system", "content": self.fill(SYSTEM)}]
        if self.target.context.strip():
            msgs.append({"role": "user", "content": self.fill(CONTEXT)})
            msgs.append({"role": "assistant", "content": "OK."})
        return msgs

    async def say(self, message: str, *, step: str | None = None, role: str | None = None,
                  model: str | None = None, tps: float | None = None) -> None:
        pct = min(99, int(100 * self.done_steps / max(1, self.total_steps)))
        await self.progress(ProgressEvent(message, percentage=pct, step=step, role=role, model=model,
                                          tokens_per_s=tps))

    async def call(self, role: str, messages: list[Message], *, step: str, what: str = "",
                   schema: dict[str, Any] | None = None, temperature: float | None = None,
                   max_tokens: int | None = None, tools: list[dict[str, Any]] | None = None,
                   on_token: TokenCallback | None = None) -> Completion:
        """One model call with progress before, during (tokens/s) and after. `on_token` also gets each
        fragment (the HTTP API streams the final step to its client through it)."""
        pool = self.engine.pool
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
                                     result.usage.prompt_tokens, result.usage.completion_tokens, note=note))
        return result
