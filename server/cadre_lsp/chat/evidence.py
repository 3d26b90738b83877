"""Evidence for chat answers: a Python answer is run on what the user's request states.

The request is the spec: examples written in it (`is_palindrome('abba') == True`, a doctest, a
docstring in code the user pasted) for a function the answer defines are run on the answer's code in
the sandbox, exactly as the editor path runs a fix (patterns/evidence.py). No examples in the request:
no evidence, and the validator model decides as before. The answer's own docstring is not evidence
(a model can write the example to match its bug).
"""

from __future__ import annotations

import ast
import time
from typing import TYPE_CHECKING

from ..patterns.evidence import EvidenceRun, Verification, verdict_of
from ..patterns.job import Candidate, Verdict
from ..toolcalls import fenced_blocks
from ..verify import Evidence, Limits, run_examples, stated_examples
from ..verify.evidence import read_equalities

if TYPE_CHECKING:
    from .answer import ChatJob


def python_code(text: str) -> str | None:
    """The last fenced block of the text that parses as Python and defines a function."""
    for block in reversed(fenced_blocks(text)):
        if block.language not in ("", "python", "py", "python3"):
            continue
        try:
            tree = ast.parse(block.content)
        except SyntaxError:
            continue
        if any(isinstance(n, ast.FunctionDef) for n in tree.body):
            return block.content
    return None


def request_examples(request: str, names: list[str]) -> Evidence:
    """Examples the request states for `names`: in its prose and in any function source it pasted."""
    evidence = Evidence(", ".join(names))
    for name in names:
        for i, line in enumerate(request.splitlines()):
            if ">>>" not in line:
                read_equalities(line, i, name, "docstring", evidence)
        pasted = python_code(f"```python\n{request}\n```") or python_code(request)
        if pasted:
            for node in ast.parse(pasted).body:
                if isinstance(node, ast.FunctionDef) and node.name == name:
                    found = stated_examples(ast.get_source_segment(pasted, node) or "", name)
                    evidence = evidence.merged(found)
    return evidence


async def verify_answer(job: ChatJob, cand: Candidate) -> Verdict | None:
    """Run the answer's code on the request's examples; None when there is nothing to run."""
    cfg = job.config.verify
    if not cfg.enabled:
        return None
    if cand.verification is None:
        code = python_code(cand.text)
        if code is None:
            return None
        names = [n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)]
        evidence = request_examples(job.last_user, names)
        if not evidence.examples:
            return None
        t0 = time.perf_counter()
        limits = Limits(wall_s=cfg.timeout_s, per_example_s=cfg.example_timeout_s, cpu_s=max(1, int(cfg.timeout_s)),
                        memory_mb=cfg.memory_mb)
        report = await run_examples(code, evidence.examples, limits=limits)
        job.record(f"run {cand.model or cand.role}", time.perf_counter() - t0, ok=report.all_passed,
                   note=report.summary()[:200])
        cand.verification = Verification(EvidenceRun(evidence.function, evidence, reports=[report]), report)
    return await verdict_of(job, cand.verification)
