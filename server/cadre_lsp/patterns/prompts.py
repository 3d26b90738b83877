"""Every prompt the patterns send, in one place, as templates.

Kept short (the embedded models are 0.5B-1.5B) and ordered as a stable prefix: system prompt, then the
file context, then the part that varies. llama.cpp reuses the KV cache for the shared prefix, which
turns a 13 s cold prompt into 0.3 s on the second call of a pattern. Code the model must quote never
carries a line-number gutter; only review (which cites lines but never quotes) shows one.
"""

from __future__ import annotations

SYSTEM = "You are an expert {language} programmer. Answer precisely and briefly."

CONTEXT = "Context from {path}:\n{context}"

EXPLAIN = (
    "Explain this {kind}: what it does, how, and anything surprising (edge cases, bugs, performance).\n"
    "Use short markdown, no preamble.{instruction}\n```{fence}\n{code}\n```"
)

HOVER = "In one or two sentences, what does this {kind} do?\n```{fence}\n{code}\n```"

FIX = (
    "This {kind} has a bug: it does not do what its name and docstring say.{instruction}\n"
    "```{fence}\n{code}\n```\n"
    "Reply with the corrected {kind} in one ```{fence} block, nothing else."
)

IMPLEMENT = (
    "Implement this {kind}: write the missing or unfinished code (replace TODO, pass, ... or stubs)."
    "{instruction}\n```{fence}\n{code}\n```\n"
    "Reply with the complete {kind} in one ```{fence} block, nothing else."
)

REVISE = (
    "A reviewer rejected that answer:\n{feedback}\n"
    "Reply with the corrected {kind} in one ```{fence} block, nothing else."
)

# Feedback from running the code: concrete inputs with actual and expected values. An earlier version
# asked "say which line causes this" first: on bench fixrate the 1.5B then put that sentence inside
# the code block (2 of 32 fixes lost to a syntax error), so the reply is code only again.
REVISE_RUN = (
    "Running that {kind} on examples of what it must do gives:\n{feedback}\n"
    "Reply with the corrected {kind} in one ```{fence} block, nothing else. Change the code, not the "
    "docstring."
)

PLAN = (
    "Plan the change to this {kind} for another programmer who will edit the code.{instruction}\n"
    "```{fence}\n{code}\n```\n"
    "Task: {task}. In at most 5 short numbered steps say exactly which lines change and what the new code "
    "must do. Do not write the whole {kind}."
)

FOLLOW_PLAN = (
    "Apply this plan to the {kind}:\n{plan}\n```{fence}\n{code}\n```\n"
    "Reply with the complete changed {kind} in one ```{fence} block, nothing else."
)

REVIEW = (
    "Review this code for bugs, security problems and risky constructs. Line numbers are on the left.\n"
    "```{fence}\n{numbered}\n```\n{instruction}"
    'Reply with JSON only: {{"findings": [{{"start_line": N, "end_line": N, "severity": '
    '"error|warning|info|hint", "message": "...", "suggestion": "..."}}]}}. Use [] when the code is fine.'
)

# Review per definition (patterns/review_walk.py): behaviour is checked by running the docstring's
# examples, so the model gets one narrow question about one definition, not "review this file".
REVIEW_FOCUS = (
    "Review this code, the {kind} `{name}`, for one thing only: {question} Line numbers are on the left.\n"
    "```{fence}\n{numbered}\n```\n{instruction}"
    "Report a problem only if you can name the line where it is; no style, naming or documentation remarks. "
    'Reply with JSON only: {{"findings": [{{"start_line": N, "end_line": N, "severity": "error|warning", '
    '"message": "..."}}]}}. Use [] when there is none.'
)
FOCUS_RISKY = ("it uses {found}: is that a security problem, a resource that is not released, or a risky "
               "construct here?")
FOCUS_UNRUN = "nothing could run it, so read it: does it do what its name and docstring say?"

# The validator is asked one question with a concrete bar for FAIL. A checklist ("syntax errors, logic
# bugs, missing error handling, security ...") was parroted back as the reason to FAIL correct fixes:
# on the fix-rate bugs the 1.5B failed 2/2 correct fixes and passed 2/2 non-fixes with it.
VALIDATE = (
    "Check this proposed change to a {kind}: the task was to {task}.{instruction}\n"
    "Original:\n```{fence}\n{original}\n```\nProposed change (unified diff):\n```diff\n{diff}\n```\n"
    "Does the changed {kind} now do what its name and docstring say? Answer PASS if it does. Answer FAIL "
    "only if you can name a concrete input for which it still gives a wrong result or crashes, and put "
    "that input in the reason.\n"
    'Reply with JSON only: {{"verdict": "PASS" or "FAIL", "reasons": ["..."]}}.'
)

VALIDATE_FOLLOWUP = (
    "Now check your {kind} above as a strict reviewer: does it do what its name and docstring say? Answer "
    "PASS if it does. Answer FAIL only if you can name a concrete input for which it still gives a wrong "
    "result or crashes, and put that input in the reason.\n"
    'Reply with JSON only: {{"verdict": "PASS" or "FAIL", "reasons": ["..."]}}.'
)
"""VALIDATE as the next turn of the draft's own conversation (same model: served from its KV cache). The
original and the answer are both in that conversation, so no diff is repeated: every token here is new."""

VALIDATE_TEXT = (
    "Check this answer for factual or logical errors about the code.\n"
    "Code:\n```{fence}\n{original}\n```\nAnswer:\n{answer}\n"
    'Reply with JSON only: {{"verdict": "PASS" or "FAIL", "reasons": ["..."]}}.'
)

JUDGE = (
    "Several solutions were proposed for the same task ({task}) on this {kind}:\n"
    "```{fence}\n{original}\n```\n{candidates}\n"
    "Pick the best one. Consider correctness first, then simplicity and error handling.\n"
    'Reply with JSON only: {{"choice": "<letter>", "reason": "one sentence"}}.'
)

CANDIDATE = "Solution {letter}:\n```{lang}\n{body}\n```"

TASKS = {
    "fix": "fix the bug",
    "implement": "implement the missing code",
    "explain": "explain the code",
    "review": "review the code",
}

VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["PASS", "FAIL"]},
        "reasons": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 5},
    },
    "required": ["verdict", "reasons"],
}


def judge_schema(letters: list[str]) -> dict:
    """JSON schema for the judge's answer, restricted to the letters on offer."""
    return {
        "type": "object",
        "properties": {"choice": {"type": "string", "enum": letters},
                       "reason": {"type": "string", "maxLength": 200}},
        "required": ["choice", "reason"],
    }


TEMPLATES = {
    "explain": EXPLAIN,
    "fix": FIX,
    "implement": IMPLEMENT,
    "plan": PLAN,
    "follow_plan": FOLLOW_PLAN,
    "review": REVIEW,
}
"""The templates a custom step may name (config/pattern_rules.py TEMPLATE_NAMES checks the names)."""
