"""Deterministic checks a model cannot talk its way past: the edit applied, the file still parses, and
(optionally) a check command the *user* configured. Never a command a model proposed."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .job import Candidate

if TYPE_CHECKING:
    from .code import CodeJob


def syntax_problems(job: CodeJob, cand: Candidate) -> list[str]:
    """New parse errors the candidate's edit introduces (errors already in the file don't count)."""
    if cand.edit is None or not job.request.language:
        return []
    from ..context import check_edit

    try:
        issues = check_edit(job.request.text, cand.edit.changes, job.request.language)
    except Exception:
        return []
    return [f"syntax error at line {i.line + 1}:{i.col + 1}: {i.message}" for i in issues[:3]]


def spec_problems(job: CodeJob, cand: Candidate) -> list[str]:
    """A fix that rewrites the function's docstring or signature changes the spec, not the code: a small
    model shown a failing example will sometimes edit the docstring to match the bug. Refused unless the
    user's instruction asked for it. Python functions only (where the spec can be read reliably)."""
    import ast

    req = job.request
    if (cand.edit is None or req.action != "fix" or req.language != "python" or not job.target.name
            or req.instruction):
        return []
    try:
        before = _spec(ast.parse(req.text), job.target.name)
        after = _spec(ast.parse(cand.edit.apply()), job.target.name)
    except (SyntaxError, ValueError):
        return []
    if before is None or after is None:
        return []
    problems = []
    if before[0] != after[0]:
        problems.append(f"the fix changes {job.target.name}'s signature; change the body only")
    if before[1] != after[1]:
        problems.append(f"the fix changes {job.target.name}'s docstring (the spec); change the code to match it")
    return problems


def _spec(tree: object, name: str) -> tuple[str, str | None] | None:
    import ast

    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.dump(node.args), (ast.get_docstring(node) or "").strip() or None
    return None


def _working_dir(root: str | None, fallback: str) -> str:
    return root if root and os.path.isdir(root) else fallback


async def command_problems(job: CodeJob, cand: Candidate) -> list[str]:
    """Run the configured check command on a temporary copy of the edited file."""
    cfg = job.config.validated
    if not cfg.check_command or cand.edit is None:
        return []
    suffix = Path(job.request.path).suffix
    with tempfile.TemporaryDirectory(prefix="cadre-check-") as tmp:
        copy = Path(tmp) / f"candidate{suffix}"
        copy.write_text(cand.edit.apply(), encoding="utf-8")
        argv = [a.replace("{file}", str(copy)) for a in cfg.check_command]
        cwd = _working_dir(job.request.workspace_root, tmp)
        try:
            proc = await asyncio.create_subprocess_exec(*argv, cwd=cwd, stdout=asyncio.subprocess.PIPE,
                                                        stderr=asyncio.subprocess.STDOUT,
                                                        stdin=asyncio.subprocess.DEVNULL)
        except OSError as exc:
            return [f"check command could not start: {exc.strerror or exc}"]
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), cfg.check_timeout_s)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            return [f"check command timed out after {cfg.check_timeout_s:g}s"]
        except asyncio.CancelledError:
            proc.kill()
            raise
    if proc.returncode != 0:
        tail = out.decode(errors="replace").strip().splitlines()[-5:]
        return [f"check command failed (exit {proc.returncode}): " + " | ".join(tail)]
    return []


async def run_checks(job: CodeJob, cand: Candidate) -> Candidate:
    """Fill cand.checks; a candidate with checks is never delivered."""
    if cand.error:
        return cand
    if job.makes_edits:
        if cand.edit is None:
            cand.checks.append("no edit")
            return cand
        cand.checks.extend(syntax_problems(job, cand))
        if not cand.checks:
            cand.checks.extend(spec_problems(job, cand))
        if not cand.checks:
            cand.checks.extend(await command_problems(job, cand))
    return cand
