"""Background jobs over real JSON-RPC: progress, cancel (both ways), supersede, a failing model."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsp.harness import FIX, PROFILES, SHOP, TOTAL_FIXED, default_script, exchange, fenced, session, wait_for

SLOW_FIX = exchange(FIX, "def total_price", reply=fenced(TOTAL_FIXED) + " padding" * 400, tokens_per_s=5)


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


def ends(s) -> list[types.WorkDoneProgressEnd]:
    return [v for vs in s.progress().values() for v in vs if isinstance(v, types.WorkDoneProgressEnd)]


@pytest.mark.parametrize("profile", PROFILES)
async def test_progress_begin_report_end_and_job_notifications(ws, profile):
    script = [exchange(FIX, "def total_price", reply=fenced(TOTAL_FIXED), tokens_per_s=40)]
    cfg = ws.configure(script)
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        result = await s.wait_result(job)
        await wait_for(lambda: ends(s), 5, "progress end")
        (token,) = s.progress().keys()
        values = s.progress()[token]
        begin, *reports, end = values
        assert isinstance(begin, types.WorkDoneProgressBegin)
        assert begin.title == "cadre: Fix" and begin.cancellable is True
        assert reports and all(isinstance(r, types.WorkDoneProgressReport) for r in reports)
        messages = [r.message for r in reports]
        assert any("bug_fix" in m and "coding" in m for m in messages), messages  # route and why
        assert any("drafting" in m for m in messages), messages  # the pattern step
        assert isinstance(end, types.WorkDoneProgressEnd)
        assert end.message == result["summary"] and "fix via primary" in end.message
        assert TOTAL_FIXED in s.text(uri)
        # cadre/jobs: the job was announced with its step, and the last note has nothing running.
        assert any(any(r["jobId"] == job for r in n["running"]) for n in s.job_notes)
        await wait_for(lambda: s.job_notes and s.job_notes[-1]["running"] == [], 5, "jobs idle")
        assert s.job_notes[-1]["models"]["coding"] == "scripted-model"


async def test_client_without_work_done_progress_gets_messages(ws):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, "bare", config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        result = await s.wait_result(job)
        await wait_for(lambda: any(result["summary"] in m for m in s.message_texts()), 5, "end message")
        assert s.progress() == {}  # no workDoneProgress/create was sent (pytest-lsp would also warn)
        assert s.message_texts()[0].startswith("cadre: Fix: ")
        assert TOTAL_FIXED in s.text(uri)


async def _cancel_case(ws, profile, how):
    cfg = ws.configure([SLOW_FIX])
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))

        async def streaming():
            st = await s.status()
            return st["stats"]["s"]["running"] == 1

        for _ in range(200):
            if await streaming():
                break
        else:
            raise AssertionError("the model call never started")
        if how == "progress":
            (token,) = s.progress().keys()
            s.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        else:
            assert await s.command("cadre.cancel", {"jobId": job}) == {"cancelled": [job]}
        result = await s.wait_result(job, timeout=10)
        assert result["summary"] == "cancelled"
        await wait_for(lambda: ends(s), 5, "progress end")
        assert ends(s)[0].message == "cancelled"
        st = await s.status()
        # The scripted stream (5 tokens/s, ~800 tokens) would still be running had it not been stopped.
        assert st["stats"]["s"]["running"] == 0 and st["stats"]["s"]["calls"] == 0
        assert st["jobs"] == []
        assert s.edits == [] and s.text(uri) == SHOP


@pytest.mark.parametrize("profile", PROFILES)
async def test_progress_cancel_button_stops_the_model_request(ws, profile):
    await _cancel_case(ws, profile, "progress")


@pytest.mark.parametrize("profile", ["neovim@v0.7", "helix"])
async def test_cancel_command_stops_the_model_request(ws, profile):
    await _cancel_case(ws, profile, "command")


async def test_cancel_without_job_id_cancels_everything(ws):
    cfg = ws.configure([SLOW_FIX, *default_script()], extra="[jobs_per_role]\ncoding = 1\n")
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg) as s:
        s.open(uri, SHOP)
        a = await s.run("fix", uri, s.line_range(uri, 7, 7))
        b = await s.run("fix", uri, s.line_range(uri, 3, 3))  # another range: queued behind a, not superseding
        st = await s.status()
        assert {j["jobId"] for j in st["jobs"]} == {a, b} and st["queue"] >= 1
        reply = await s.command("cadre.cancel")
        assert sorted(reply["cancelled"]) == sorted([a, b])
        await s.wait_result(a)
        await s.wait_result(b)
        assert s.edits == []


async def test_second_request_on_the_same_range_supersedes_the_first(ws):
    cfg = ws.configure([SLOW_FIX])
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg) as s:
        s.open(uri, SHOP)
        rng = s.line_range(uri, 7, 7)
        first = await s.run("fix", uri, rng)
        second = await s.run("fix", uri, rng, pattern="primary")
        assert (await s.wait_result(first))["summary"] == "superseded by a newer request"
        st = await s.status()
        assert [j["jobId"] for j in st["jobs"]] == [second]
        await s.command("cadre.cancel", {"jobId": second})
        await s.wait_result(second)
        assert s.edits == []


@pytest.mark.parametrize("profile", ["visual_studio_code", "helix"])
async def test_model_error_gives_a_clear_message_and_no_edit(ws, profile):
    cfg = ws.configure([exchange(FIX, error="http500")])
    uri = uri_of(ws)
    async with session(ws, profile, config=cfg) as s:
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        result = await s.wait_result(job)
        assert "500" in result["summary"]
        await wait_for(lambda: ends(s), 5, "progress end")
        assert "500" in ends(s)[0].message
        errors = [m for m in s.client.messages if m.type == types.MessageType.Error]
        assert errors and "cadre: Fix failed" in errors[0].message and "500" in errors[0].message
        assert s.edits == [] and s.text(uri) == SHOP


async def test_bad_command_arguments_are_an_invalid_params_error(ws):
    cfg = ws.configure()
    async with session(ws, "visual_studio_code", config=cfg) as s:
        with pytest.raises(Exception, match="range"):
            await s.command("cadre.fix", {"uri": uri_of(ws)})
        with pytest.raises(Exception, match="not open and cannot be read"):
            await s.command("cadre.fix", {"uri": (ws.root / "missing.py").as_uri(),
                                          "range": {"start": {"line": 0, "character": 0},
                                                    "end": {"line": 0, "character": 0}}})
