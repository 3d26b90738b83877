"""Validator verdicts and judge choices, parsed robustly (JSON first, then loose text), never by a bare
substring test: "this would FAIL if ..." inside a PASS verdict must not flip it."""

from __future__ import annotations

import random
import re

from ..models.base import Message
from . import prompts
from .job import Candidate, PatternJob, Verdict
from .review import parse_json_object

_VERDICT_LINE = re.compile(r"^\W*(?:verdict\W*)?(PASS(?:ED)?|FAIL(?:ED|S)?)\b\W*(.*)$", re.I | re.M)


def parse_verdict(text: str) -> tuple[bool | None, list[str]]:
    """(passed, reasons); passed is None when no verdict can be read."""
    data = parse_json_object(text)
    if isinstance(data, dict) and isinstance(data.get("verdict"), str):
        v = data["verdict"].strip().upper()
        reasons = data.get("reasons") or data.get("issues") or []
        if isinstance(reasons, str):
            reasons = [reasons]
        reasons = [str(r) for r in reasons if str(r).strip()]
        if v.startswith("PASS"):
            return True, reasons
        if v.startswith("FAIL"):
            return False, reasons
    m = _VERDICT_LINE.search(text)
    if m:
        passed = m.group(1).upper().startswith("PASS")
        rest = m.group(2).strip(" :-—")
        reasons = [rest] if rest else []
        if not passed:
            after = text[m.end():].strip()
            reasons += [ln.strip(" -*•") for ln in after.splitlines() if ln.strip(" -*•")][:5]
        return passed, reasons
    return None, []


async def validate(job: PatternJob, cand: Candidate, role: str = "validator", *,
                   step: str = "validate", ask_model: bool = True) -> Verdict:
    """Deterministic checks first (they cannot be argued with), then the candidate run on its evidence
    (a failing input with its actual and expected value cannot be argued with either); the validator
    model is asked only when there is no executable evidence."""
    await job.check(cand)
    if cand.error:
        failures = job.known_failures()
        if failures and "unchanged" in cand.error:
            return Verdict(False, ["that reply repeated the code unchanged, so these still fail", *failures], "evidence")
        return Verdict(False, [cand.error, *failures], "checks")
    if cand.checks:
        return Verdict(False, list(cand.checks), "checks")
    verdict = await job.verify(cand)
    if verdict is not None:
        return verdict
    if not ask_model:
        return Verdict(True, ["no executable evidence; nothing was run"], "none")
    followup = job.followup_validation_prompt(cand)
    if followup and cand.messages and cand.raw and job.pool.model_for(role) == cand.model:
        # The validator is the model that wrote the candidate: asking in the same conversation serves
        # the whole draft (prompt and answer) from llama.cpp's KV cache instead of evaluating a fresh one.
        messages = cand.messages + [{"role": "assistant", "content": cand.raw}, {"role": "user", "content": followup}]
        return await ask_validator(job, followup, role, step=step, messages=messages)
    return await ask_validator(job, job.validation_prompt(cand), role, step=step)


async def ask_validator(job: PatternJob, content: str, role: str = "validator", *,
                        step: str = "validate", messages: list[Message] | None = None) -> Verdict:
    """The validator model's verdict on `content` (a filled VALIDATE prompt); `messages`: the whole
    conversation to send instead of the job's prefix + `content`."""
    messages = messages or job.base_messages() + [{"role": "user", "content": content}]
    c = await job.call(role, messages, step=step, what="checking", schema=prompts.VERDICT_SCHEMA,
                       temperature=0.0, max_tokens=200)
    passed, reasons = parse_verdict(c.text)
    if passed is None:
        return Verdict(True, ["validator gave no readable verdict; deterministic checks passed"], c.model)
    return Verdict(passed, reasons or ([] if passed else ["no reason given"]), c.model)


def parse_choice(text: str, letters: list[str]) -> tuple[str | None, str]:
    data = parse_json_object(text)
    if isinstance(data, dict):
        ch = str(data.get("choice", "")).strip().upper()[:1]
        if ch in letters:
            return ch, str(data.get("reason", ""))
    for m in re.finditer(r"(?<![A-Za-z])([A-Z])(?![A-Za-z])", text):
        if m.group(1) in letters:
            return m.group(1), text.strip()[:200]
    return None, ""


async def judge(job: PatternJob, cands: list[Candidate], role: str = "judge", *,
                rng: random.Random | None = None) -> tuple[int, str]:
    """Index of the best candidate. Order is shuffled before the judge sees it (position bias)."""
    if len(cands) == 1:
        return 0, "only one usable candidate"
    rng = rng or random.Random()
    order = list(range(len(cands)))
    rng.shuffle(order)
    letters = [chr(ord("A") + i) for i in range(len(order))]
    blocks = []
    for letter, idx in zip(letters, order):
        lang, body = job.judge_body(cands[idx])
        blocks.append(prompts.CANDIDATE.format(letter=letter, lang=lang, body=body))
    messages = job.base_messages() + [{"role": "user", "content": job.fill(
        job.judge_template, candidates="\n".join(blocks))}]
    c = await job.call(role, messages, step="judge", what=f"comparing {len(cands)} candidates",
                       schema=prompts.judge_schema(letters), temperature=0.0, max_tokens=120)
    choice, reason = parse_choice(c.text, letters)
    if choice is None:
        return order[0], "judge gave no readable choice; kept the first shuffled candidate"
    return order[letters.index(choice)], reason
