"""Review one definition at a time, with proof where running the code can give one.

A whole-file review prompt does not make a 1.5B look at any one function (issue 21: 6 of 21 bugs
found); running what the docstring states finds the behaviour bugs without asking a model. So review
walks the definitions in the reviewed range (those changed since the last review first, as
context/review.py decides) and for each one:

1. **evidence** (module-level Python functions): the docstring's stated examples, plus input/expected
   pairs a model writes from the signature and docstring alone when the docstring states fewer than
   `[verify] min_stated` (only for a function with a docstring and parameters: without them there is no
   stated intent to write examples from). All of it runs on the *current* code in the sandbox, one run
   per review.
   - a failing *stated* example is proof: an error on the definition (or the line its traceback points
     to): "confirmed by running it: f(x) returned y, docstring says z";
   - a failing *generated* example is weaker, a warning that says "generated example", and is reported
     only when nothing contradicts it (`trusted_generated_failure`): the generator's set is consistent
     (no call with two expectations), the code passes at least one of its examples (so the generator
     read the signature the way the code does), the failure is not a call the code could not even accept
     (a TypeError about arguments), and no stated example already fails (the stated proof is enough);
2. **one focused model question**, asked only where it has something to look at (`focus_question`):
   a Python definition that uses a risky construct (`risky_constructs`: eval/exec, shell and process
   calls, files and sockets, pickle, a bare except, a mutable default, `while True`, recursion) is asked
   about that construct (security, resource leaks, risks); one that nothing could run (no evidence) is
   asked whether it does what its name and docstring say; a test function (only asserts) and a function
   whose evidence ran clean with nothing risky in it are not asked (asking a 1.5B "any problem?" about
   a correct pure function is how review got its noise). Other languages are always asked. Findings must
   cite a line inside the definition, the rest are dropped, and so are info/hint answers; they say
   "(unproven)" and rank below the proof.

Evidence, runs and the model's answers are cached per definition content hash (`_Cache`), so a
re-review of unchanged code costs no model call and no sandbox run; a proof stays with its definition
until that definition's code changes (a later run that is killed does not take it back).
"""

from __future__ import annotations

import ast
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..core import Finding
from ..toolcalls import number_lines, report_schema
from ..verify import (
    GENERATE_SCHEMA,
    Evidence,
    ExampleResult,
    RunReport,
    generation_messages,
    parse_generated,
    run_examples,
    signature_and_docstring,
    stated_examples,
)
from . import prompts
from .formats import supports_schema
from .job import Candidate
from .review import parse_findings, render_findings

if TYPE_CHECKING:
    from ..context import Definition
    from .code import CodeJob

MAX_DEFINITIONS = 12
"""Definitions one review walks at most (each may cost two model calls); the rest are named in a note."""
PROOF = "confirmed by running it"
"""How a proven finding's message starts (lsp/diagnostics.py keeps such findings until the code changes)."""
GENERATED = "generated example"
UNPROVEN = " (unproven)"
STATED_SOURCES = ("docstring", "doctest", "comment")

K = TypeVar("K")
V = TypeVar("V")


class _Cache(Generic[K, V]):
    """A small LRU map: the server reviews the same definitions again and again on save."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()


_GENERATED: _Cache[str, Evidence] = _Cache()
"""(definition hash, generator model, settings) -> the generated examples."""
_RUNS: _Cache[str, RunReport] = _Cache()
"""(module hash, the examples) -> the run: a run depends on the whole module, not only the definition."""
_MODEL: _Cache[str, list[Finding]] = _Cache()
"""(definition hash, model, prompt) -> the focused pass's findings, lines relative to the definition."""
_PROOF: _Cache[str, list[Finding]] = _Cache()
"""Definition hash -> its proven findings (relative lines) from the last run that completed."""


def clear_cache() -> None:
    """Forget every cached generation, run and model answer (tests; a config reload)."""
    for cache in (_GENERATED, _RUNS, _MODEL, _PROOF):
        cache.clear()


def digest(*parts: str) -> str:
    """Content hash; trailing whitespace is ignored so re-indented blank lines do not count as a change."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update("\n".join(line.rstrip() for line in part.strip("\n").split("\n")).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


# -- evidence for one function ---------------------------------------------------------------------------


@dataclass
class FunctionShape:
    """What the walk needs to know about a function before it builds evidence for it."""

    runnable: bool
    has_docstring: bool
    params: int
    why: str = ""


def function_shape(text: str) -> FunctionShape:
    """Whether `text` (one top-level def) can be called from literals, and what it states."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return FunctionShape(False, False, 0, "it does not parse")
    node = tree.body[0] if tree.body else None
    if isinstance(node, ast.AsyncFunctionDef):
        return FunctionShape(False, ast.get_docstring(node) is not None, 0, "async functions are not run yet")
    if not isinstance(node, ast.FunctionDef):
        return FunctionShape(False, False, 0, "not a function")
    a = node.args
    params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
    return FunctionShape(True, ast.get_docstring(node) is not None, params)


async def function_evidence(job: CodeJob, name: str, text: str, *, generate: bool = True) -> Evidence:
    """Stated examples of one function, plus generated ones when it states fewer than `min_stated`
    (the generator sees the signature and docstring only; its answer is cached per definition)."""
    cfg = job.config.verify
    evidence = stated_examples(text, name) if "docstring" in cfg.sources else Evidence(name)
    shape = function_shape(text)
    if not (generate and "generated" in cfg.sources and evidence.count() < cfg.min_stated
            and shape.has_docstring and shape.params):
        return evidence
    stub = signature_and_docstring(text)
    key = digest(stub, job.pool.model_for(cfg.generator_role), str(cfg.max_examples))
    generated = _GENERATED.get(key)
    if generated is None:
        messages = generation_messages(stub, name, cfg.max_examples)
        try:
            c = await job.call(cfg.generator_role, messages, step="examples", what=f"writing examples for {name}",
                               schema=GENERATE_SCHEMA, temperature=0.0, max_tokens=60 + 50 * cfg.max_examples)
        except Exception as exc:  # no examples is a weaker check, not a failed review (and not cached)
            job.notes.append(f"examples for {name} not generated: {exc}"[:160])
            return evidence
        generated = parse_generated(c.text, name)
        generated.examples = generated.examples[: cfg.max_examples]
        _GENERATED.put(key, generated)
    return evidence.merged(generated)


async def run_cached(job: CodeJob, module_text: str, evidence: list[Evidence]) -> list[RunReport]:
    """One sandbox run of the module for all functions' examples not run before; a report per Evidence."""
    from .evidence import _limits, _search_paths

    keys = [digest(module_text, *(e.describe() + e.function for e in ev.examples)) for ev in evidence]
    reports: list[RunReport | None] = [_RUNS.get(k) if ev.examples else RunReport([]) for k, ev in zip(keys, evidence)]
    todo = [i for i, r in enumerate(reports) if r is None]
    if todo:
        examples = [ex for i in todo for ex in evidence[i].examples]
        t0 = time.perf_counter()
        whole = await run_examples(module_text, examples, limits=_limits(job), search_paths=_search_paths(job))
        job.record("run current code", time.perf_counter() - t0, ok=whole.all_passed, note=whole.summary()[:200])
        at = 0
        for i in todo:
            n = len(evidence[i].examples)
            part = RunReport(whole.results[at:at + n], error=whole.error, seconds=whole.seconds,
                             isolation=whole.isolation)
            at += n
            reports[i] = part
            if whole.error is None:  # a killed run may be the machine's load, not the code: run it again next time
                _RUNS.put(keys[i], part)
    return [r if r is not None else RunReport([]) for r in reports]


def trusted_generated_failure(evidence: Evidence, report: RunReport) -> list[ExampleResult]:
    """The generated examples' failures believed enough to report (the rule in the module doc)."""
    if report.error:
        return []
    results = report.results
    if any(r.status != "pass" for r in results if r.example.source in STATED_SOURCES):
        return []
    generated = [r for r in results if r.example.source == "generated"]
    if not any(r.status == "pass" for r in generated):
        return []
    calls: dict[str, str] = {}
    for r in generated:
        outcome = r.example.raises or repr(r.example.expected)
        if calls.setdefault(r.example.call, outcome) != outcome:
            return []
    return [r for r in generated if r.status != "pass" and not _refused_call(r)]


def _refused_call(r: ExampleResult) -> bool:
    """A TypeError about the arguments: the generator called it wrongly; the code may be fine."""
    return r.status == "raised" and (r.error or "").startswith("TypeError") and "argument" in (r.error or "")


def outcome_text(r: ExampleResult) -> str:
    """What the code did: `returned 7`, `raised IndexError: ... at line 5`, `timed out`."""
    if r.status == "pass":
        return f"raised {r.example.raises}" if r.example.raises else f"returned {r.example.expected!r}"
    if r.status == "wrong":
        return f"returned {r.actual}"
    if r.status == "timeout":
        return "timed out"
    where = f" at line {r.line + 1}" if r.line is not None else ""
    return f"raised {r.error}{where}"


def expected_text(r: ExampleResult) -> str:
    return f"raises {r.example.raises}" if r.example.raises else f"{r.example.expected!r}"


# -- the walk ----------------------------------------------------------------------------------------------


@dataclass
class DefinitionReview:
    """One definition's review: its proof, its model findings, and what was run."""

    name: str
    kind: str
    start_line: int
    end_line: int
    evidence: Evidence | None = None
    report: RunReport | None = None
    proven: list[Finding] = field(default_factory=list)
    generated: list[Finding] = field(default_factory=list)
    model: list[Finding] = field(default_factory=list)
    why_none: str = ""


_TRACKERS: dict[str, Any] = {}


def definitions_in_range(job: CodeJob) -> list[Definition] | None:
    """Top-level definitions overlapping the request's lines, changed ones first; None without an outline."""
    from ..context import ReviewTracker, outline_of, parse_text

    req = job.request
    doc = parse_text(req.text, req.language, req.path)
    outline = outline_of(doc)
    if outline is None:
        return None
    first, last = req.span.start_line, req.span.end_line
    if req.span.end_col == 0 and last > first:
        last -= 1
    found = [outline.definition(e) for e in outline.top_level()]
    found = [d for d in found if d.start_line <= last and first <= d.end_line and d.kind != "variable"]
    tracker = _TRACKERS.setdefault(req.path, ReviewTracker())
    changed = {(d.start_line, d.name) for d in tracker.changed_definitions(req.path, req.text, req.language)}
    found.sort(key=lambda d: ((d.start_line, d.name) not in changed, d.start_line))
    return found


def mark_reviewed(job: CodeJob, defs: list[Definition]) -> None:
    """The walked definitions count as reviewed (those outside the range, or over the cap, do not)."""
    tracker = _TRACKERS.get(job.request.path)
    if tracker is not None:
        tracker.mark_reviewed(job.request.path, defs)


def _runnable(job: CodeJob, d: Definition) -> str:
    """Why this definition gets no evidence, or ""."""
    if not job.config.verify.enabled:
        return "verification is off ([verify] enabled = false)"
    if (job.request.language or "") != "python":
        return f"no sandbox runner for {job.request.language or 'this language'} yet"
    if d.kind != "function" or d.container or d.indent:
        return "not a module-level function"
    return function_shape(d.text).why


async def review_walk(job: CodeJob, role: str, *, temperature: float | None = None) -> Candidate | None:
    """The review of the request's range, definition by definition; None when there is no outline or no
    definition in range (the caller reviews the block as a whole, as before)."""
    defs = definitions_in_range(job)
    if not defs:
        return None
    skipped = defs[MAX_DEFINITIONS:]
    defs = defs[:MAX_DEFINITIONS]
    job.total_steps = max(job.total_steps, 2 * len(defs))
    reviews = [DefinitionReview(d.name, d.kind, d.start_line, d.end_line) for d in defs]
    await _prove(job, defs, reviews)
    model_name = ""
    errors = []
    for d, rv in zip(defs, reviews):
        question = focus_question(job, d, rv)
        if not question:
            continue
        try:
            rv.model, model_name = await _focused(job, d, role, temperature, question)
        except Exception as exc:  # one unreadable answer or failed call: the proof still stands
            errors.append(f"{d.name}: {exc}"[:160])
    mark_reviewed(job, defs)
    findings = [f for rv in reviews for f in rv.proven] + [f for rv in reviews for f in rv.generated] + \
               [f for rv in reviews for f in rv.model]
    findings = findings[: job.config.review.max_findings]
    proven = sum(len(rv.proven) for rv in reviews)
    ran = [rv for rv in reviews if rv.evidence is not None and rv.evidence.examples]
    note = f"{len(reviews)} definition{'s' if len(reviews) != 1 else ''} reviewed one by one"
    if ran:
        note += f"; {len(ran)} run on their examples ({proven} proven)"
    if skipped:
        note += f"; not reviewed (over {MAX_DEFINITIONS}): {', '.join(d.name for d in skipped)}"
    if errors:
        note += f"; model pass failed for {'; '.join(errors)}"
    job.notes.append(note)
    if errors and len(errors) == len(defs) and not findings:
        return Candidate(role=role, model=model_name, error=f"the review failed: {errors[0]}")
    cand = Candidate(role=role, model=model_name or job.pool.model_for(role), findings=findings)
    cand.text = render_findings(findings)
    cand.raw = cand.text
    return cand


async def _prove(job: CodeJob, defs: list[Definition], reviews: list[DefinitionReview]) -> None:
    """Build each runnable function's evidence, run them all on the current code at once, read the proof."""
    todo: list[tuple[Definition, DefinitionReview]] = []
    for d, rv in zip(defs, reviews):
        rv.why_none = _runnable(job, d)
        if rv.why_none:
            continue
        rv.evidence = await function_evidence(job, d.name, d.text)
        if rv.evidence.examples:
            todo.append((d, rv))
        else:
            rv.why_none = "no executable evidence"
    if not todo:
        return
    reports = await run_cached(job, job.request.text, [rv.evidence for _, rv in todo if rv.evidence])
    for (d, rv), report in zip(todo, reports):
        rv.report = report
        _read_proof(d, rv, report)
    shown = "; ".join(f"{rv.name}: {rv.report.passed}/{rv.report.total}" for _, rv in todo if rv.report)
    await job.say(f"evidence run on the current code: {shown}"[:200], step="evidence")


def _line_of(d: Definition, r: ExampleResult) -> tuple[int, int]:
    """The traceback's line when it is inside the definition, else the whole definition."""
    if r.line is not None and d.start_line <= r.line <= d.end_line:
        return r.line, r.line
    return d.start_line, d.end_line


def _read_proof(d: Definition, rv: DefinitionReview, report: RunReport) -> None:
    key = digest(d.text)
    if report.error:
        rv.why_none = f"the module could not be run: {report.error}"[:200]
        # A run killed this time (a busy machine, an import that failed elsewhere in the module) takes
        # nothing back: a definition proven wrong keeps its proof until its own code changes.
        rv.proven = [replace(f, start_line=f.start_line + d.start_line, end_line=f.end_line + d.start_line)
                     for f in _PROOF.get(key) or []]
        return
    stated = [r for r in report.failures if r.example.source in STATED_SOURCES]
    if stated:
        first = stated[0]
        where = "docstring" if first.example.source in ("docstring", "doctest") else first.example.source
        msg = f"{PROOF}: {first.example.call} {outcome_text(first)}, {where} says {expected_text(first)}"
        more = [f"{r.example.call} {outcome_text(r)} (expected {expected_text(r)})" for r in stated[1:3]]
        if more:
            msg += "; also " + "; ".join(more)
        rv.proven.append(Finding(*_line_of(d, first), "error", msg))
        _PROOF.put(key, [replace(f, start_line=f.start_line - d.start_line, end_line=f.end_line - d.start_line)
                         for f in rv.proven])
        return
    _PROOF.put(key, [])
    gen = trusted_generated_failure(rv.evidence or Evidence(d.name), report)
    if gen:
        first = gen[0]
        msg = (f"{GENERATED} fails: {first.example.call} {outcome_text(first)}, expected {expected_text(first)} "
               f"(an example written from the docstring, not stated in it)")
        if len(gen) > 1:
            msg += f"; {len(gen) - 1} more generated example{'s' if len(gen) > 2 else ''} fail"
        rv.generated.append(Finding(*_line_of(d, first), "warning", msg))


RISKY_CALLS = frozenset({
    "eval", "exec", "compile", "__import__", "system", "popen", "Popen", "run", "call", "check_call",
    "check_output", "spawn", "open", "urlopen", "socket", "connect", "request", "loads", "load", "execute",
    "executescript", "Thread", "acquire", "mkstemp", "mktemp", "NamedTemporaryFile", "chmod", "rmtree",
    "remove", "unlink", "setattr", "getattr",
})
"""Called names that make a definition worth the security/resource question (by their last part)."""


def risky_constructs(text: str, name: str) -> list[str]:
    """What in one Python definition the focused question is about; [] when it has none of them."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ["code that does not parse"]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if called == name:
                found.append("recursion")
            elif called in RISKY_CALLS:
                found.append(f"{called}()")
        elif isinstance(node, ast.ExceptHandler) and node.type is None:
            found.append("a bare except")
        elif isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
            found.append("while True")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            if any(isinstance(d, (ast.List, ast.Dict, ast.Set)) for d in defaults):
                found.append("a mutable default argument")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found.append("global state")
    return list(dict.fromkeys(found))


def _is_test(text: str) -> bool:
    """A function whose body is only asserts (and its docstring): a test, checked by running it."""
    try:
        node = ast.parse(text).body[0]
    except (SyntaxError, IndexError):
        return False
    if not isinstance(node, ast.FunctionDef):
        return False
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return bool(body) and all(isinstance(s, ast.Assert) for s in body)


def focus_question(job: CodeJob, d: Definition, rv: DefinitionReview) -> str:
    """The one question the model is asked about `d`, or "" when there is nothing to ask (module doc)."""
    if (job.request.language or "") != "python":
        return prompts.FOCUS_RISKY.format(found="what you see")
    found = risky_constructs(d.text, d.name)
    if found:
        return prompts.FOCUS_RISKY.format(found=", ".join(found[:4]))
    ran = rv.report is not None and rv.report.error is None and rv.report.results
    if ran or _is_test(d.text):
        return ""
    return prompts.FOCUS_UNRUN


async def _focused(job: CodeJob, d: Definition, role: str, temperature: float | None,
                   question: str) -> tuple[list[Finding], str]:
    """The one-question model pass on one definition; findings outside its lines are dropped."""
    model = job.pool.model_for(role)
    key = digest(d.text, model, prompts.REVIEW_FOCUS, question, str(temperature))
    cached = _MODEL.get(key)
    if cached is not None:
        return [replace(f, start_line=f.start_line + d.start_line, end_line=f.end_line + d.start_line)
                for f in cached], model
    code = number_lines(d.text, start=d.start_line + 1)
    content = job.fill(prompts.REVIEW_FOCUS, numbered=code, kind=_kind_word(d), name=d.name, question=question)
    messages = job.base_messages() + [{"role": "user", "content": content}]
    schema = report_schema() if supports_schema(job, role) else None
    c = await job.call(role, messages, step="review", what=f"reviewing {d.name}", temperature=temperature,
                       schema=schema)
    found = parse_findings(c.text, c.tool_calls, job.request.text, job.config.review.max_findings)
    if found is None:
        raise ValueError("the answer could not be read as findings")
    kept = [replace(f, message=f.message.rstrip(".") + UNPROVEN) for f in found
            if d.start_line <= f.start_line <= d.end_line and f.severity in ("error", "warning")]
    kept = [replace(f, end_line=min(max(f.end_line, f.start_line), d.end_line)) for f in kept]
    _MODEL.put(key, [replace(f, start_line=f.start_line - d.start_line, end_line=f.end_line - d.start_line)
                     for f in kept])
    return kept, c.model or model


def _kind_word(d: Definition) -> str:
    return {"function": "function", "method": "method", "class": "class"}.get(d.kind, d.kind or "definition")

