"""The job manager: strong references, per-role limits, supersede, cancel, shutdown (no LSP involved)."""

from __future__ import annotations

import asyncio

from cadre_lsp.lsp.jobs import JobManager


def manager(limits: dict[str, int] | None = None) -> tuple[JobManager, list[int]]:
    changes: list[int] = []
    m = JobManager(lambda role: (limits or {}).get(role, 1), lambda: changes.append(1))
    return m, changes


async def test_role_limit_queues_and_other_roles_run_in_parallel():
    m, _ = manager({"coding": 1, "reasoning": 2})
    active = {"coding": 0, "reasoning": 0}
    peak = {"coding": 0, "reasoning": 0}
    gate = asyncio.Event()

    def work(role):
        async def run(job):
            async with m.slot(job):
                active[role] += 1
                peak[role] = max(peak[role], active[role])
                await gate.wait()
                active[role] -= 1
        return run

    for i in range(3):
        m.start(action="fix", uri="u", role="coding", key=("c", i), run=work("coding"))
        m.start(action="explain", uri="u", role="reasoning", key=("r", i), run=work("reasoning"))
    await asyncio.sleep(0.05)
    assert active == {"coding": 1, "reasoning": 2}
    assert m.queued == 3
    gate.set()
    await asyncio.wait([j.task for j in m.jobs()])
    assert peak == {"coding": 1, "reasoning": 2}


async def test_same_key_supersedes_and_cancel_reports_ids():
    m, changes = manager()
    started = asyncio.Event()

    async def forever(job):
        started.set()
        await asyncio.sleep(60)

    first = m.start(action="fix", uri="u", role="coding", key="k", run=forever)
    await started.wait()
    second = m.start(action="fix", uri="u", role="coding", key="k", run=forever)
    await asyncio.sleep(0.01)
    assert first.cancel_reason == "superseded" and first.task.done()
    assert [j.id for j in m.jobs()] == [second.id]
    assert m.cancel(second.id) == [second.id]
    assert m.cancel(second.id) == []  # already cancelled
    await asyncio.sleep(0.01)
    assert m.jobs() == [] and changes


async def test_cancelled_job_waiting_for_a_slot_leaves_the_queue():
    m, _ = manager()
    hold = asyncio.Event()

    async def run(job):
        async with m.slot(job):
            await hold.wait()

    a = m.start(action="fix", uri="u", role="coding", key=1, run=run)
    b = m.start(action="fix", uri="u", role="coding", key=2, run=run)
    await asyncio.sleep(0.02)
    assert b.step == "queued"
    m.cancel(b.id)
    await asyncio.sleep(0.02)
    assert [j.id for j in m.jobs()] == [a.id]
    hold.set()
    await asyncio.sleep(0.02)
    assert m.jobs() == []


async def test_raised_limit_releases_queued_jobs():
    limits = {"coding": 1}
    m = JobManager(lambda role: limits[role])
    hold = asyncio.Event()
    running = []

    async def run(job):
        async with m.slot(job):
            running.append(job.id)
            await hold.wait()

    for i in range(2):
        m.start(action="fix", uri="u", role="coding", key=i, run=run)
    await asyncio.sleep(0.02)
    assert len(running) == 1
    limits["coding"] = 2
    await m.limits_changed()
    await asyncio.sleep(0.02)
    assert len(running) == 2
    hold.set()


async def test_shutdown_cancels_jobs_and_helpers_and_runs_their_cleanup():
    m, _ = manager()
    cleaned = []

    async def run(job):
        try:
            await asyncio.sleep(60)
        finally:
            cleaned.append(job.id)

    job = m.start(action="fix", uri="u", role="coding", key=1, run=run)
    helper = m.spawn(asyncio.sleep(60))
    await asyncio.sleep(0.01)
    await m.shutdown()
    assert cleaned == [job.id] and helper.cancelled() and job.cancel_reason == "shutdown"


async def test_at_limit_tells_whether_a_new_job_would_queue():
    m, _ = manager({"coding": 1})
    hold = asyncio.Event()

    async def run(job):
        async with m.slot(job):
            await hold.wait()

    assert not m.at_limit("coding")
    m.start(action="fix", uri="u", role="coding", key=1, run=run)
    await asyncio.sleep(0.01)
    assert m.at_limit("coding") and not m.at_limit("reasoning")
    hold.set()
