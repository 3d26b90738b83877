"""Decide which role and pattern serve a request, and say why (the `auto` pattern included).

Order: a per-request `task_type` override, then the editor action kind, then keyword/regex rules on
the free-form instruction, then the default task. The pattern is the explicit one if given, else the
action's configured default (or the task's pattern when the action asks for `auto`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config.pattern_rules import BUILTIN_PATTERNS
from .config.schema import Config
from .core import CadreError, Request, Route


@dataclass
class Classification:
    task_type: str
    why: str


def classify_text(text: str, config: Config) -> Classification | None:
    """First keyword/regex rule that matches free-form text (case-insensitive, whole words)."""
    low = text.lower()
    for rule in config.routing.rules:
        for kw in rule.keywords:
            if re.search(rf"(?<!\w){re.escape(kw.lower())}(?!\w)", low):
                return Classification(rule.task_type, f"keyword {kw!r}")
        if rule.regex and re.search(rule.regex, text, re.I | re.S):
            return Classification(rule.task_type, f"matches /{rule.regex}/")
    return None


def classify(request: Request, config: Config) -> Classification:
    if request.task_type:
        return Classification(request.task_type, "requested task type")
    if request.instruction:
        hit = classify_text(request.instruction, config)
        if hit and request.action not in config.routing.actions:
            return hit
    task = config.routing.actions.get(request.action)
    if task:
        return Classification(task, f"{request.action} action")
    hit = classify_text(request.instruction, config) if request.instruction else None
    return hit or Classification(config.routing.default_task, "default")


def pattern_names(config: Config) -> list[str]:
    return list(BUILTIN_PATTERNS) + [p for p in config.patterns if p not in BUILTIN_PATTERNS]


def route(request: Request, config: Config) -> Route:
    """The role, pattern and reason for one request."""
    cls = classify(request, config)
    pattern = request.pattern or config.action_patterns.get(request.action, "primary")
    return _finish(cls, pattern, "coding" if request.action in ("implement", "fix") else "reasoning", config)


def route_text(text: str, pattern: str, config: Config) -> Route:
    """Route free-form text (the last user message of a chat): keyword rules, else the default task."""
    cls = classify_text(text, config) or Classification(config.routing.default_task, "default")
    return _finish(cls, pattern, "reasoning", config)


def _finish(cls: Classification, pattern: str, default_role: str, config: Config) -> Route:
    task = config.routing.tasks.get(cls.task_type)
    role = task.role if task else default_role
    why = f"{cls.task_type} ({cls.why}) -> {role}"
    if pattern == "auto":
        pattern = task.pattern if task else "primary"
        why += f"; auto picked {pattern}"
    if pattern not in pattern_names(config):
        raise CadreError(f"unknown pattern {pattern!r} (known: {', '.join(pattern_names(config))})")
    return Route(task_type=cls.task_type, role=role, pattern=pattern, why=why)
