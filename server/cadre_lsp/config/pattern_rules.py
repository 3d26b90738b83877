"""Load-time checks of custom patterns: a bad step is named before any job runs.

Config owns the names a pattern may use (built-in patterns, prompt templates, placeholders) so that
checking a configuration needs nothing from the pattern engine (patterns/ imports config, never the
other way round); patterns/registry.py and patterns/prompts.py map the names to code and text.
"""

from __future__ import annotations

import string

from .schema import ROLES, Config, PatternStep, parse_role_spec

BUILTIN_PATTERNS = ("primary", "tools", "hybrid", "validated", "compete", "auto")
"""Every built-in name; `auto` is resolved by the router, the rest are functions in patterns/builtin.py."""
TEMPLATE_NAMES = ("explain", "fix", "implement", "plan", "follow_plan", "review")
"""Prompt templates a step may name (`prompt = "plan"`); patterns/prompts.py TEMPLATES holds their text."""
PLACEHOLDERS = {"language", "fence", "kind", "name", "code", "original", "context", "path", "task",
                "instruction", "plan", "numbered"}


def step_problem(i: int, step: PatternStep, seen_candidate: bool) -> str | None:
    """Why step i is invalid, or None. `seen_candidate`: an earlier step can produce a candidate."""
    label = f"step {i + 1} ({step.kind})"
    try:
        role = parse_role_spec(step.role)[0]
    except ValueError as exc:
        return f"{label}: {exc}"
    if role not in ROLES:
        return f"{label}: unknown role {step.role!r} (expected one of {', '.join(ROLES)})"
    if step.prompt is not None and step.prompt not in TEMPLATE_NAMES:
        if "{" not in step.prompt and " " not in step.prompt.strip():
            return f"{label}: unknown prompt template {step.prompt!r} (known: {', '.join(TEMPLATE_NAMES)})"
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(step.prompt) if f}
        except ValueError as exc:
            return f"{label}: bad prompt template: {exc}"
        bad = sorted(n for n in names if n not in PLACEHOLDERS)
        if bad:
            return f"{label}: unknown placeholder {{{bad[0]}}} (known: {', '.join(sorted(PLACEHOLDERS))})"
    if step.kind in ("validate", "verify", "revise", "judge") and not seen_candidate:
        return f"{label}: needs an earlier generate or extract_tools step"
    if step.until is not None and step.kind not in ("validate", "verify"):
        return f"{label}: `until` only applies to validate and verify steps"
    if step.max_rounds < 0:
        return f"{label}: max_rounds must be >= 0"
    return None


def validate_patterns(config: Config) -> list[tuple[str, str]]:
    """(pattern name, problem) for every invalid custom pattern; checked when config loads."""
    problems: list[tuple[str, str]] = []
    for name, pattern in config.patterns.items():
        if name in BUILTIN_PATTERNS:
            problems.append((name, f"{name!r} is a built-in pattern name; choose another"))
            continue
        if not pattern.steps:
            problems.append((name, "a pattern needs at least one step"))
            continue
        seen = False
        for i, step in enumerate(pattern.steps):
            why = step_problem(i, step, seen)
            if why:
                problems.append((name, why))
                break
            if step.kind in ("generate", "extract_tools"):
                seen = True
    for action, pat in config.action_patterns.items():
        if pat not in BUILTIN_PATTERNS and pat not in config.patterns:
            problems.append((f"action_patterns.{action}", f"unknown pattern {pat!r}"))
    return problems
