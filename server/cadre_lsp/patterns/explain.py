"""Explain, grounded in runs: what the code *does* on its docstring's examples, not what it says.

Asked to explain `count_vowels` (which counts the non-vowels), the 1.5B says it counts vowels: it reads
the name and the docstring. So before the model is asked, a module-level Python function is run on its
evidence (the docstring's examples, plus generated ones when it states fewer than `[verify] min_stated`;
review_walk.py builds and caches both), the outcomes go into the prompt as facts, and the answer ends
with a section the server writes itself: each call with what it returned, and a plain sentence when
that differs from what the docstring (or an example written from it) expects. The model may still
misread the code; the section cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..verify import ExampleResult
from . import prompts
from .job import Candidate

if TYPE_CHECKING:
    from .code import CodeJob

MAX_SHOWN = 5


@dataclass
class Grounding:
    """The runs behind an explanation: the outcomes, and the sentences the user reads."""

    results: list[ExampleResult]
    evidence: str
    """`2 docstring examples + 3 generated`."""
    differs: list[ExampleResult]
    """Examples whose outcome differs from the expectation (stated, or trusted generated ones)."""

    def facts(self) -> str:
        """For the prompt: what running it showed, as facts the model must not contradict."""
        from .review_walk import expected_text, outcome_text

        lines = [f"- {r.example.call} {outcome_text(r)}"
                 + ("" if r.status == "pass" else f" (the {_who(r)} expects {expected_text(r)})")
                 for r in self.results[:MAX_SHOWN]]
        return "\nRunning the current code showed (facts, not guesses):\n" + "\n".join(lines)

    def section(self) -> str:
        """The markdown the server appends to the explanation."""
        from .review_walk import expected_text, outcome_text

        out = [f"**Run on its examples** ({self.evidence}):"]
        if self.differs:
            r = self.differs[0]
            out.insert(0, f"**What it actually does differs from its {_who(r)}:** `{r.example.call}` "
                          f"{outcome_text(r)}, but the {_who(r)} says {expected_text(r)}.\n")
        for r in self.results[:MAX_SHOWN]:
            mark = "as expected" if r.status == "pass" else \
                f"**differs** — the {_who(r)} says {expected_text(r)}" if r in self.differs else \
                f"expected {expected_text(r)} by a generated example (not trusted: it may be wrong itself)"
            out.append(f"- `{r.example.call}` {outcome_text(r)} — {mark}")
        return "\n".join(out)

    def one_line(self) -> str:
        """For a hover: the first difference, or that the examples pass."""
        from .review_walk import expected_text, outcome_text

        if self.differs:
            r = self.differs[0]
            return f"Running it: `{r.example.call}` {outcome_text(r)}; the {_who(r)} says {expected_text(r)}."
        return f"Running it: {self.evidence}, all as expected."


def _who(r: ExampleResult) -> str:
    return "generated example" if r.example.source == "generated" else "docstring"


async def run_grounding(job: CodeJob) -> Grounding | None:
    """Run the target function on its evidence (cached with review's); None when it cannot be run."""
    from .review_walk import (
        STATED_SOURCES,
        function_evidence,
        function_shape,
        run_cached,
        trusted_generated_failure,
    )

    t = job.target
    cfg = job.config.verify
    if not cfg.enabled or (job.request.language or "") != "python" or t.kind not in ("function", "code") \
            or not t.name or not t.text.startswith(("def ", "@")) or not function_shape(t.text).runnable:
        return None
    evidence = await function_evidence(job, t.name, t.text)
    if not evidence.examples:
        return None
    (report,) = await run_cached(job, job.request.text, [evidence])
    if report.error or not report.results:
        return None
    differs = [r for r in report.failures if r.example.source in STATED_SOURCES]
    differs += [r for r in trusted_generated_failure(evidence, report) if r not in differs]
    failing = [r for r in report.results if r.status != "pass"]
    passing = [r for r in report.results if r.status == "pass"]
    return Grounding(failing + passing, evidence.describe(), differs)


async def explain(job: CodeJob, role: str, *, temperature: float | None = None, template: str = prompts.EXPLAIN,
                  max_tokens: int | None = None, step: str = "explain", extra: dict[str, Any] | None = None,
                  ground: bool = False) -> Candidate:
    """Prose about the target (an explanation, a plan, a hover line); `ground` (an explanation the user
    reads): run the function first, tell the model what it returned and append what was run."""
    extra = dict(extra or {})
    grounding = await run_grounding(job) if ground else None
    if grounding is not None:
        extra["instruction"] = extra.get("instruction", job.fill("{instruction}")) + grounding.facts()
    messages = job.base_messages() + [{"role": "user", "content": job.fill(template, **extra)}]
    c = await job.call(role, messages, step=step, what="explaining", temperature=temperature,
                       max_tokens=max_tokens)
    text = c.text.strip()
    cand = Candidate(role=role, model=c.model, raw=c.text, text=text, messages=messages)
    if not text:
        cand.error = "the model returned an empty answer"
    elif grounding is not None:
        cand.text = f"{text}\n\n{grounding.section()}"
    return cand
