"""The model host killed for real (SIGKILL) under the real language server (stdio) while jobs run on the
bundled 0.5B: the server lives on, every job ends with an answer (the configured fallback's, or the
restarted host's) or a clear message naming how the host died, and the next job is served by a new host."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("xllamacpp")

from cadre_lsp.models.bundled import ensure_model, model_status
from fakes.openai_server import FakeOpenAI, Reply
from lsp.harness import ALL_ROLES, SHOP, Session, Workspace, session

MODEL = "qwen2.5-coder-0.5b"
FALLBACK = "Explained by the fallback model."

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not (model_status(MODEL)["cached"] or model_status(MODEL)["parts_installed"]),
                       reason=f"bundled {MODEL} not installed"),
]


def config(ws: Workspace, chain: list[str], fallback_url: str | None) -> Path:
    """Every role on the embedded endpoint `emb` (2 slots), then `fb` where it is in `chain`. The model is
    named by path: the server's cache dir is the test's own."""
    roles = "".join(f"{r} = {chain!r}\n".replace("'", '"') for r in ALL_ROLES)
    fb = (f'[endpoints.fb]\nkind = "openai"\nmodel = "fb"\nbase_url = "{fallback_url}"\nretries = 0\n'
          if fallback_url else "")
    path = ws.home / "cadre.toml"
    # [verify] off: an explain's only model call is the explanation, the one the kill must hit.
    path.write_text(f'[generation]\nmax_tokens = 24\n\n[verify]\nenabled = false\n\n[endpoints.emb]\nkind = "embedded"\n'
                    f'model = "{ensure_model(MODEL)}"\nconcurrency = 2\nn_ctx = 2048\nretries = 0\n'
                    f'timeout_s = 300\nkeep_alive = "-1"\n{fb}\n[roles]\n{roles}')
    return path


async def host_of(s: Session) -> dict[str, Any]:
    hosts = (await s.status()).get("hosts") or {}
    return next(iter(hosts.values()), {})


async def kill_host_while_busy(s: Session, jobs: list[str]) -> int:
    """Wait until the host runs a call, then SIGKILL it; returns the killed pid."""
    for _ in range(3000):
        h = await host_of(s)
        if h.get("in_flight", 0) >= 1 and h.get("pid"):
            await asyncio.sleep(0.3)  # into the prompt or the first tokens
            os.kill(h["pid"], signal.SIGKILL)
            return int(h["pid"])
        await asyncio.sleep(0.05)
    raise AssertionError("the host never ran a call")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    files = {f"shop{i}.py": SHOP for i in range(10)}
    return Workspace.create(tmp_path, files)


async def test_host_killed_during_ten_jobs_every_job_answered_server_lives(ws: Workspace, figure: Any) -> None:
    with FakeOpenAI(reply_fn=lambda body: Reply(FALLBACK)) as fb:
        async with session(ws, "visual_studio_code", config=config(ws, ["emb", "fb"], fb.url)) as s:
            server_pid = (await s.status())["debug"]["pid"]
            uris = [(ws.root / f"shop{i}.py").as_uri() for i in range(10)]
            for uri in uris:
                s.open(uri, SHOP)
            jobs = [await s.run("explain", uri, s.line_range(uri, 7, 7)) for uri in uris]
            killed = await kill_host_while_busy(s, jobs)
            results = [await s.wait_result(j, timeout=600) for j in jobs]
            answered = [r for r in results if r.get("markdown")]
            assert len(answered) == 10, results
            by_fallback = sum(FALLBACK in r["markdown"] for r in results)
            assert by_fallback >= 1  # the calls on the killed host went to the fallback endpoint
            st = await s.status()
            assert st["debug"]["pid"] == server_pid  # the language server lived on
            host = next(iter(st["hosts"].values()))
            assert host["crashes"] == 1 and host["last_crash"] == "killed by SIGKILL"
            assert host["pid"] != killed and host["state"] == "running"

            nxt = await s.run("explain", uris[0], s.line_range(uris[0], 7, 7))  # served by the new host
            r = await s.wait_result(nxt, timeout=300)
            assert r.get("markdown") and FALLBACK not in r["markdown"]
    figure("host killed during 10 jobs (language server, real 0.5B)", kills=1, jobs=10, server_crashes=0,
           jobs_without_answer=0, answered_by_fallback=by_fallback)


async def test_host_killed_without_fallback_says_how_it_died(ws: Workspace, figure: Any) -> None:
    async with session(ws, "visual_studio_code", config=config(ws, ["emb"], None)) as s:
        uri = (ws.root / "shop0.py").as_uri()
        s.open(uri, SHOP)
        job = await s.run("explain", uri, s.line_range(uri, 7, 7))
        await kill_host_while_busy(s, [job])
        result = await s.wait_result(job, timeout=300)
        text = result.get("markdown", "") + " ".join(s.message_texts())
        assert "killed by SIGKILL" in text and "next request starts a new one" in text, result
        nxt = await s.run("explain", uri, s.line_range(uri, 7, 7))
        r = await s.wait_result(nxt, timeout=300)
        assert r.get("markdown") and "SIGKILL" not in r["markdown"]
    figure("host killed, no fallback (language server, real 0.5B)", kills=1, server_crashes=0, clear_messages=1)
