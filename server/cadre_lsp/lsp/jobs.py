"""Background jobs: the asyncio tasks behind executeCommand, with limits, supersede and cancel.

pygls answers `$/cancelRequest` for an executeCommand but keeps running its coroutine, and a task
nobody references can be garbage-collected mid-flight; so every job lives here, strongly referenced,
under an id the client can cancel (`cadre.cancel`, the progress Cancel button). Jobs routed to the same
role share that role's concurrency limit (`config.jobs_per_role`, default 1); the rest wait, queued.
A new job with the same key (same document, range and kind of output) supersedes the running one.
Nothing here knows LSP: the server passes in the coroutine that does the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

QUEUED = "queued"


@dataclass(eq=False)
class Job:
    id: str
    action: str
    uri: str
    role: str
    key: Hashable
    step: str = QUEUED
    started_at: float = field(default_factory=time.time)
    task: asyncio.Task[Any] | None = field(default=None, repr=False)
    cancel_reason: str | None = None
    """Why the job was cancelled ("cancelled", "superseded", "shutdown"), None while it runs."""
    progress_token: str | None = None
    running: bool = False
    """True once it holds a slot of its role (False while queued)."""

    def as_dict(self) -> dict[str, Any]:
        return {"jobId": self.id, "action": self.action, "uri": self.uri, "step": self.step}


class JobManager:
    """Owns job tasks and background helper tasks; every task it starts is cancelled by `shutdown`."""

    def __init__(self, limit_for: Callable[[str], int], on_change: Callable[[], None] | None = None) -> None:
        self._limit_for = limit_for
        self._on_change = on_change
        self._jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._active: dict[str, int] = {}
        self._cond: asyncio.Condition | None = None
        self._ids = itertools.count(1)
        self._closed = False

    # -- starting -----------------------------------------------------------------------------------
    def start(self, *, action: str, uri: str, role: str, key: Hashable,
              run: Callable[[Job], Awaitable[Any]]) -> Job:
        """Start `run(job)` as a task now and return at once; a running job with the same key is superseded."""
        if self._closed:
            raise RuntimeError("the job manager is shut down")
        for other in list(self._jobs.values()):
            if other.key == key:
                self._cancel(other, "superseded")
        job = Job(id=f"job-{next(self._ids)}", action=action, uri=uri, role=role, key=key)
        self._jobs[job.id] = job
        job.task = self.spawn(self._run(job, run), name=f"cadre {job.id} {action}")
        self._changed()
        return job

    def spawn(self, coro: Awaitable[Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run a helper task (hover, retry prompts) with a strong reference, logged if it fails."""
        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())

    async def _run(self, job: Job, run: Callable[[Job], Awaitable[Any]]) -> None:
        try:
            await run(job)
        except asyncio.CancelledError:
            log.info("%s %s cancelled (%s)", job.id, job.action, job.cancel_reason or "cancelled")
        finally:
            self._jobs.pop(job.id, None)
            self._changed()

    # -- role slots ----------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def slot(self, job: Job) -> AsyncIterator[None]:
        """Hold one of the job's role slots for the body; waits (queued) while the role is at its limit."""
        if self._cond is None:
            self._cond = asyncio.Condition()
        cond = self._cond
        async with cond:
            await cond.wait_for(lambda: self._active.get(job.role, 0) < max(1, self._limit_for(job.role)))
            self._active[job.role] = self._active.get(job.role, 0) + 1
        job.running = True
        self.set_step(job, "starting")
        try:
            yield
        finally:
            job.running = False
            self._active[job.role] -= 1
            # Wake the waiters without awaiting the lock: this may run while the job is being cancelled.
            self.spawn(self._notify_waiters(), name="cadre slot release")

    async def _notify_waiters(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    async def limits_changed(self) -> None:
        """Call after a reconfiguration: a raised limit may let queued jobs start."""
        if self._cond is not None:
            await self._notify_waiters()

    def at_limit(self, role: str) -> bool:
        """True when a new job of `role` would have to wait for a slot."""
        return self._active.get(role, 0) >= max(1, self._limit_for(role))

    # -- state ---------------------------------------------------------------------------------------
    def set_step(self, job: Job, step: str) -> None:
        if step and step != job.step:
            job.step = step
            self._changed()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def by_token(self, token: str | int) -> Job | None:
        return next((j for j in self._jobs.values() if j.progress_token == token), None)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    @property
    def helpers(self) -> int:
        """Tasks started by `spawn` that have not finished (jobs included)."""
        return len(self._tasks)

    @property
    def queued(self) -> int:
        return sum(1 for j in self._jobs.values() if not j.running)

    def _changed(self) -> None:
        if self._on_change is not None:
            try:
                self._on_change()
            except Exception:  # a notification problem must not break job bookkeeping
                log.exception("job change listener failed")

    # -- stopping ------------------------------------------------------------------------------------
    def cancel(self, job_id: str | None = None, reason: str = "cancelled") -> list[str]:
        """Cancel one job (or all when job_id is None); returns the ids actually cancelled."""
        targets = list(self._jobs.values()) if job_id is None else [j for j in [self._jobs.get(job_id)] if j]
        return [j.id for j in targets if self._cancel(j, reason)]

    def _cancel(self, job: Job, reason: str) -> bool:
        if job.task is None or job.task.done() or job.cancel_reason is not None:
            return False
        job.cancel_reason = reason
        job.task.cancel(reason)
        return True

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel every job and helper task and wait (bounded) for their cleanup to run."""
        self._closed = True
        self.cancel(reason="shutdown")
        tasks = [t for t in self._tasks if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
