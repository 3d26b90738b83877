"""Patterns on evidence: a fix or implementation of a Python function is run on what its docstring
states (and, when that says too little, on input/expected pairs a model wrote from the signature and
docstring alone), in the sandbox (verify/), before any model is asked to judge it.

Measured on the bundled 1.5B (bench/README.md): an LLM validator PASSes wrong fixes; a failing input
with its actual and expected value is feedback the same model can act on. Generated examples can be
wrong themselves, so they are weighed by agreement: one that the original code and every candidate
fail is set aside as suspect (CodeT's dual agreement, reduced to what one job sees).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core import Finding
from ..verify import (
    GENERATE_SCHEMA,
    Evidence,
    Example,
    Limits,
    RunReport,
    generation_messages,
    parse_generated,
    run_examples,
    signature_and_docstring,
    stated_examples,
)
from ..verify.commands import CommandReport, run_tests_on_copy
from .job import Candidate, PatternJob, Verdict

if TYPE_CHECKING:
    from .code import CodeJob

FUNCTION_KINDS = ("function", "code")


@dataclass
class EvidenceRun:
    """One job's evidence and the original code's results on it; `reports` grows with each candidate."""

    function: str
    evidence: Evidence
    original: RunReport | None = None
    reports: list[RunReport] = field(default_factory=list)
    why_none: str = ""
    tests_original: CommandReport | None = None
    """The user's test command on the original code ([verify] tests_command), when configured."""

    @property
    def examples(self) -> list[Example]:
        return self.evidence.examples

    def suspect(self) -> set[int]:
        """Generated examples that the original and at least two candidates all fail while some candidate
        passes every stated example: more likely a wrong expectation than a bug nobody could fix."""
        if self.original is None or self.original.error:
            return set()
        runs = [r for r in self.reports if not r.error]
        if len(runs) < 2:
            return set()
        stated = [i for i, ex in enumerate(self.examples) if ex.source != "generated"]
        if not any(all(r.results[i].status == "pass" for i in stated) for r in runs):
            return set()
        return {i for i, ex in enumerate(self.examples) if ex.source == "generated"
                and all(r.results[i].status != "pass" for r in [self.original, *runs])}


@dataclass
class Verification:
    """What running one candidate on the evidence showed, in the words the user and the model read."""

    run: EvidenceRun
    report: RunReport
    tests: CommandReport | None = None

    def score(self) -> tuple[int, int, int]:
        """(your tests pass, stated examples passed, trusted generated examples passed), in that weight."""
        suspect = self.run.suspect()
        stated = sum(1 for r in self.report.results if r.status == "pass" and r.example.source != "generated")
        generated = sum(1 for i, r in enumerate(self.report.results)
                        if r.status == "pass" and r.example.source == "generated" and i not in suspect)
        return int(self.tests_decide() is True), stated, generated

    def trusted_failures(self) -> list[str]:
        suspect = self.run.suspect()
        out = [r.describe() for i, r in enumerate(self.report.results) if r.status != "pass" and i not in suspect]
        if self.tests_decide() is False:
            out.append(self.tests.describe() if self.tests else "")
        return out

    def tests_decide(self) -> bool | None:
        """The user's tests' say: True/False, or None when not run or failing the original the same way."""
        t, orig = self.tests, self.run.tests_original
        if t is None or t.error:
            return None
        if not t.passed and orig is not None and not orig.passed and orig.signature() == t.signature():
            return None
        return t.passed

    def summary(self) -> str:
        """"3 docstring examples + 4 generated: 6/7 pass - f('') raised IndexError ...; 1 suspect"."""
        if not self.report.total:
            text = self.tests.describe() if self.tests else "nothing run"
        elif self.report.all_passed:
            text = f"{self.run.evidence.describe()}, all pass"
        else:
            text = f"{self.run.evidence.describe()}: {self.report.summary()}"
        if self.tests is not None and self.report.total:
            text += f"; {self.tests.describe()}"
        n = len(self.run.suspect())
        if n:
            text += f"; {n} generated example{'s' if n != 1 else ''} suspect (the original and every candidate fail)"
        orig = self.run.original
        if orig is not None and not orig.error:
            text += f"; the original passed {orig.passed}/{orig.total}"
        return text

    def as_dict(self) -> dict[str, Any]:
        suspect = self.run.suspect()
        orig = self.run.original
        return {
            "summary": self.summary(),
            "evidence": self.run.evidence.describe(),
            "passed": self.report.passed,
            "total": self.report.total,
            "original_passed": orig.passed if orig and not orig.error else None,
            "dropped": list(self.run.evidence.dropped),
            "error": self.report.error,
            "tests": None if self.tests is None else {"passed": self.tests.passed, "summary": self.tests.describe(),
                                                      "output": self.tests.tail},
            "examples": [{"call": r.example.call, "expected": r.example.describe(), "source": r.example.source,
                          "status": r.status, "actual": r.actual, "error": r.error, "suspect": i in suspect}
                         for i, r in enumerate(self.report.results)],
        }


def _limits(job: CodeJob) -> Limits:
    v = job.config.verify
    return Limits(wall_s=v.timeout_s, per_example_s=v.example_timeout_s, cpu_s=max(1, int(v.timeout_s)),
                  memory_mb=v.memory_mb)


def _search_paths(job: CodeJob) -> list[str]:
    import os

    paths = [os.path.dirname(job.request.path)]
    root = job.request.workspace_root
    if root and root not in paths:
        paths.append(root)
    return [p for p in paths if p and os.path.isdir(p)]


def _checkable(job: CodeJob) -> str:
    """Why this job's target cannot be run on evidence, or "" when it can."""
    if not job.config.verify.enabled:
        return "verification is off ([verify] enabled = false)"
    if not job.makes_edits and job.request.action != "review":
        return "not an edit or a review"
    if (job.request.language or "") != "python":
        return f"no sandbox runner for {job.request.language or 'this language'} yet"
    t = job.target
    if not t.name or t.kind not in FUNCTION_KINDS or not t.text.startswith(("def ", "async def ")):
        return "the target is not a module-level function"
    if t.text.startswith("async def "):
        return "async functions are not run yet"
    return ""


async def gather(job: CodeJob, *, generate: bool = True) -> EvidenceRun:
    """The job's evidence (once per job): stated examples, generated ones when the docstring states
    fewer than `verify.min_stated`, and the original code's results on them."""
    if job.evidence_run is not None:
        return job.evidence_run
    name = job.target.name
    why = _checkable(job)
    run = EvidenceRun(name, Evidence(name), why_none=why)
    job.evidence_run = run
    if why:
        return run
    cfg = job.config.verify
    if "docstring" in cfg.sources:
        run.evidence = stated_examples(job.target.text, name)
    # Review runs what the docstring states only: a generated example is a claim, not proof of a bug.
    if generate and job.makes_edits and "generated" in cfg.sources and run.evidence.count() < cfg.min_stated:
        run.evidence = run.evidence.merged(await _generate(job, name))
    if not run.evidence.examples:
        run.why_none = "no executable evidence (no docstring examples" + (", none generated)" if generate else ")")
        return run
    run.original = await _run(job, job.request.text, "original")
    orig = run.original
    state = orig.error or f"{orig.passed}/{orig.total} pass"
    await job.say(f"evidence: {run.evidence.describe()}; the original code: {state}", step="evidence")
    return run


async def _generate(job: CodeJob, name: str) -> Evidence:
    cfg = job.config.verify
    messages = generation_messages(signature_and_docstring(job.target.text), name, cfg.max_examples)
    try:
        c = await job.call(cfg.generator_role, messages, step="examples", what="writing examples",
                           schema=GENERATE_SCHEMA, temperature=0.0, max_tokens=60 + 50 * cfg.max_examples)
    except Exception as exc:  # no examples is a weaker check, not a failed job
        job.notes.append(f"examples not generated: {exc}"[:160])
        return Evidence(name)
    generated = parse_generated(c.text, name)
    generated.examples = generated.examples[: cfg.max_examples]
    return generated


async def _run(job: CodeJob, source: str, label: str) -> RunReport:
    run = job.evidence_run
    assert run is not None
    t0 = time.perf_counter()
    report = await run_examples(source, run.examples, limits=_limits(job), search_paths=_search_paths(job))
    job.record(f"run {label}", time.perf_counter() - t0, ok=report.all_passed, note=report.summary()[:200])
    return report


async def verify_candidate(job: CodeJob, cand: Candidate, *, generate: bool = True) -> Verdict | None:
    """Run `cand` on the evidence: PASS when every trusted example passes; FAIL with the concrete
    failures otherwise; None when there is no evidence to run (the caller may ask a model)."""
    run = await gather(job, generate=generate)
    tests = job.config.verify.tests_command if job.makes_edits and job.request.workspace_root else None
    if (not run.examples and not tests) or cand.edit is None:
        return None
    if run.examples and run.original is not None and run.original.error and not tests:
        return None  # the file cannot run here even unchanged (imports, side effects): no evidence
    if cand.verification is None:
        new_text = cand.edit.apply()
        report = await _run(job, new_text, cand.model or cand.role) if run.examples else RunReport([])
        run.reports.append(report)
        cand.verification = Verification(run, report, await _user_tests(job, new_text) if tests else None)
    return await verdict_of(job, cand.verification)


async def _user_tests(job: CodeJob, new_text: str) -> CommandReport:
    """The user's test command on a copy with `new_text` (and once on the original, for comparison)."""
    from pathlib import PurePath

    cfg = job.config.verify
    assert cfg.tests_command and job.request.workspace_root
    root = job.request.workspace_root
    try:
        rel = PurePath(job.request.path).relative_to(root).as_posix()
    except ValueError:
        return CommandReport(False, None, "", f"{job.request.path} is not inside the workspace {root}")
    run = job.evidence_run
    assert run is not None
    for label, text in (("original", job.request.text), ("candidate", new_text)):
        if label == "original" and run.tests_original is not None:
            continue
        await job.say(f"verify: running your tests on the {label}", step="tests")
        t0 = time.perf_counter()
        report = await run_tests_on_copy(root, rel, text, cfg.tests_command, timeout_s=cfg.tests_timeout_s)
        job.record(f"tests {label}", time.perf_counter() - t0, ok=report.passed, note=report.describe()[:200])
        if label == "original":
            run.tests_original = report
    return report


async def verdict_of(job: PatternJob, v: Verification) -> Verdict:
    """PASS when every trusted example passes, else FAIL with the concrete failures (said as progress)."""
    await job.say(f"verify: {v.summary()}"[:200], step="verify")
    if v.report.error:
        return Verdict(False, [f"running it failed: {v.report.error}"], "evidence")
    failures = v.trusted_failures()
    if not failures:
        return Verdict(True, [v.summary()], "evidence")
    return Verdict(False, failures[:4], "evidence")


def best_by_evidence(cands: list[Candidate]) -> tuple[Candidate, str] | None:
    """The verified candidate with the best score (ties: the earliest), with its summary."""
    scored = [c for c in cands if c.usable and c.verification is not None]
    if not scored:
        return None
    best = max(scored, key=lambda c: c.verification.score() if c.verification else (0, 0, 0))
    assert best.verification is not None
    run = best.verification.run
    if run.original is not None and not run.original.error and \
            sum(best.verification.score()) <= sum(Verification(run, run.original).score()):
        return None  # no better than the code as it is
    return best, best.verification.summary()


async def rank_by_evidence(job: PatternJob, cands: list[Candidate]) -> tuple[list[Candidate], str]:
    """The candidates that pass the most evidence (all of them when there is none), and a note."""
    scores = []
    for cand in cands:
        await job.verify(cand)
        scores.append(cand.verification.score() if cand.verification else None)
    if any(s is None for s in scores):
        return cands, ""
    top = max(s for s in scores if s is not None)
    best = [c for c, s in zip(cands, scores) if s == top]
    shown = ", ".join(f"{c.model or c.role}: {sum(s)}/{c.verification.report.total}"
                      for c, s in zip(cands, scores) if s is not None and c.verification)
    if len(best) == len(cands):
        return cands, f"evidence ties ({shown})"
    return best, f"evidence ranked {shown}"


async def proven_findings(job: CodeJob) -> list[Finding]:
    """Review's findings with proof: each stated example the current code fails, on the definition."""
    run = await gather(job)
    orig = run.original
    if orig is None or orig.error or not orig.failures:
        return []
    first, last = job.target.lines(job.request.text)
    out = []
    for r in orig.failures[:3]:
        start, end = (r.line, r.line) if r.line is not None and first <= r.line <= last else (first, last)
        where = "docstring" if r.example.source in ("docstring", "doctest") else r.example.source
        out.append(Finding(start, end, "error", f"confirmed by running it: {r.describe()} ({where} example)"))
    return out
