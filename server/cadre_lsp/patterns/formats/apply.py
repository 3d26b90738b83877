"""Edit calls (from either format) -> one checked FileEdit on the job's file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...edits import (
    EditError,
    PathRefused,
    ScopeError,
    apply_edit_calls,
    check_scope,
    resolve_path,
    same_file,
)
from ..job import Candidate

if TYPE_CHECKING:
    from ..code import CodeJob


def apply_calls(job: CodeJob, cand: Candidate, calls: list[Any]) -> Candidate:
    """Edit calls -> one FileEdit on the job's file; anything aimed elsewhere is refused, not applied.

    With `allow_other_files` a call may name another path, which must still resolve inside the
    workspace and off protected paths; and since a job builds one FileEdit on the file it read, a
    call for any other file is refused rather than applied to this one."""
    req = job.request
    edits = job.config.edits
    try:
        for call in calls:
            path = call.arguments.get("path") or ""
            target = check_scope(path, req.path, edits.allow_other_files, root=req.workspace_root)
            if target != req.path:
                if req.workspace_root:
                    resolve_path(req.workspace_root, target, edits.protected)
                if not same_file(target, req.path, req.workspace_root):
                    raise ScopeError(f"the edit targets {path}, but this job builds its edit on {req.path} "
                                     "only (one file per job)")
        cand.edit = apply_edit_calls(req.text, req.path, calls, job.target.span(req.text), version=req.version)
    except EditError as exc:
        cand.error = str(exc)
        return cand
    cand.text = cand.raw
    return cand


def not_run(job: CodeJob, call: Any) -> str:
    """Why a valid non-Edit call (Write, Read, Glob, Grep) was set aside: this step applies Edit calls to
    the job's file only. Said out loud, so a model obeying an injected "also write ~/.ssh/..." is seen."""
    path = call.arguments.get("path")
    if isinstance(path, str) and path.strip() and job.request.workspace_root:
        try:
            resolve_path(job.request.workspace_root, path, job.config.edits.protected)
        except PathRefused as exc:
            return str(exc)
    name = job.request.path.rsplit("/", 1)[-1]
    where = f"{path}: " if isinstance(path, str) and path.strip() else ""
    return f"{where}not run (this job only applies Edit calls to {name})"
