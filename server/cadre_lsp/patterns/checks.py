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
            cand.checks.extend(await command_problems(job, cand))
    return cand
