"""Model faults through the real `openai` and `ollama` clients against fake servers (issue 11).

Each fault (HTTP 500, a hang past the timeout, a stream cut halfway, an empty answer, 50 KB of binary or
text garbage, a backend process killed with SIGKILL mid-stream, tool calls aimed at other files) is
served by the primary endpoint of a fix job. What must hold every time:
- with a good fallback endpoint the job completes there, and the summary says it fell back;
- without one the job ends with an error that names the endpoint and what failed, and no edit;
- the file on disk is never touched by the pipeline, and the same engine serves the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cadre_lsp.config import load_config
from cadre_lsp.core import Request, Result, Span
from cadre_lsp.pipeline import Engine
from fakes.http_fake import FakeHTTPServer, ScriptedReply
from fakes.ollama_server import FakeOllama
from fakes.openai_server import FakeOpenAI
from fakes.scripted_workspace import ALL_ROLES, FIXED, SOURCE, block

TESTS = Path(__file__).resolve().parents[1]
FIXED_SOURCE = SOURCE.replace("total -= p", "total += p")
TIMEOUT_S = 1.0
GARBAGE_BYTES = bytes((i * 131 + 7) % 256 for i in range(50_000))
GARBAGE_TEXT = "".join(chr(0x21 + (i * 37) % 94) for i in range(50_000))
OLLAMA_MODEL = "ol-model:1b"
OPENAI_MODEL = "oa-model"


@dataclass(frozen=True)
class Fault:
    name: str
    reply: Callable[[type[ScriptedReply]], ScriptedReply]
    says: tuple[str, ...]
    """Words (any one suffices) the error must contain to say what failed."""
    falls_back: bool = True
    """Whether the pool moves on to the next endpoint (a model that answered garbage text has answered)."""


FAULTS = [
    Fault("http 500", lambda R: R(status=500, error="CUDA error: out of memory"), ("HTTP 500",)),
    Fault("hang past the timeout", lambda R: R("never", delay_s=30), ("timed out", "no complete answer")),
    Fault("stream closed halfway", lambda R: R(block(FIXED), die_after=4),
          ("stream broke", "stream ended", "connection broke")),
    Fault("empty answer", lambda R: R(""), ("empty answer",)),
    Fault("50 KB binary garbage", lambda R: R(raw=GARBAGE_BYTES),
          ("unusable answer", "stream ended", "stream broke", "connection broke")),
    Fault("50 KB text garbage", lambda R: R(GARBAGE_TEXT), ("syntax error", "no code block"), falls_back=False),
]


@dataclass
class Bench:
    """A workspace with one file, a faulty primary endpoint `bad` and (optionally) a good `good`."""

    root: Path
    bad: FakeHTTPServer
    good: FakeHTTPServer
    bad_kind: str

    @property
    def file(self) -> Path:
        return self.root / "shop.py"

    def engine(self, *, fallback: bool, bad_url: str | None = None, edit_format: str = "rewrite",
               extra: str = "", timeout_s: float = TIMEOUT_S) -> Engine:
        good_kind = "ollama" if self.bad_kind == "openai" else "openai"
        chain = '["bad", "good"]' if fallback else '["bad"]'
        text = extra + "\nfallback_role = \"coding\"\n" + endpoint("bad", self.bad_kind, bad_url or self.bad.url,
                                                                   edit_format, timeout_s)
        text += endpoint("good", good_kind, self.good.url, "rewrite", 60)
        text += "[roles]\n" + "".join(f"{r} = {chain}\n" for r in ALL_ROLES)
        cfg = self.root / "cadre-test.toml"
        cfg.write_text(text)
        return Engine(load_config(None, cfg), workspace_root=str(self.root))

    def request(self, pattern: str | None = None) -> Request:
        return Request(action="fix", path=str(self.file), text=self.file.read_text(), span=Span.lines(7, 7),
                       version=1, language="python", pattern=pattern, workspace_root=str(self.root))

    def reply(self, server: FakeHTTPServer, *args: Any, **kw: Any) -> ScriptedReply:
        return server.reply_type(*args, **kw)


def endpoint(name: str, kind: str, url: str, edit_format: str, timeout_s: float) -> str:
    model = OLLAMA_MODEL if kind == "ollama" else OPENAI_MODEL
    return (f'[endpoints.{name}]\nkind = "{kind}"\nmodel = "{model}"\nbase_url = "{url}"\nretries = 0\n'
            f'timeout_s = {timeout_s}\nedit_format = "{edit_format}"\n')


@pytest.fixture(params=["openai", "ollama"])
def bench(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bench]:
    """The faulty primary speaks `param`; the fallback speaks the other protocol."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CADRE_CONFIG", raising=False)
    (tmp_path / "shop.py").write_text(SOURCE)
    openai_srv, ollama_srv = FakeOpenAI().start(), FakeOllama(models=[OLLAMA_MODEL]).start()
    bad, good = (openai_srv, ollama_srv) if request.param == "openai" else (ollama_srv, openai_srv)
    try:
        yield Bench(tmp_path, bad, good, request.param)
    finally:
        openai_srv.close()
        ollama_srv.close()


def assert_fixed(result: Result, bench: Bench) -> None:
    """A complete, valid edit came back (and only the pipeline's caller may apply it)."""
    assert result.error is None, result.error
    (edit,) = result.edits
    assert edit.apply() == FIXED_SOURCE
    assert bench.file.read_text() == SOURCE, "the pipeline itself never writes"


async def still_serves(engine: Engine, bench: Bench) -> None:
    """The same engine answers the next request once the endpoint behaves."""
    bench.bad.replies.clear()
    bench.bad.push(bench.reply(bench.bad, block(FIXED)))
    assert_fixed(await engine.run(bench.request()), bench)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_fault_with_fallback_completes_on_the_fallback(bench: Bench, fault: Fault, figure: Any) -> None:
    engine = bench.engine(fallback=True)
    try:
        bench.bad.push(fault.reply(bench.bad.reply_type))
        bench.good.push(bench.reply(bench.good, block(FIXED)))
        result = await engine.run(bench.request())
        if fault.falls_back:
            assert_fixed(result, bench)
            assert "fell back from bad" in result.summary
            assert len(bench.good.chat_requests()) == 1
        else:  # the model did answer: its nonsense is refused with the reason, nothing is half-applied
            assert result.edits == [] and any(w in (result.error or "") for w in fault.says), result.error
            assert bench.file.read_text() == SOURCE
        await still_serves(engine, bench)
    finally:
        await engine.aclose()
    figure("model faults", cases=1, fallback_used=int(fault.falls_back), partial_edits=0)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_fault_without_fallback_is_a_clear_error(bench: Bench, fault: Fault, figure: Any) -> None:
    engine = bench.engine(fallback=False)
    try:
        bench.bad.push(fault.reply(bench.bad.reply_type))
        result = await engine.run(bench.request())
        assert result.edits == []
        assert result.error and any(w in result.error for w in fault.says), result.error
        if fault.falls_back:  # a transport-level fault: the message names the endpoint
            assert "'bad'" in result.error, result.error
        else:  # the model answered: the summary names it
            assert (OPENAI_MODEL if bench.bad_kind == "openai" else OLLAMA_MODEL) in result.summary, result.summary
        assert "\n" not in result.summary
        assert bench.file.read_text() == SOURCE
        assert bench.good.chat_requests() == []
        await still_serves(engine, bench)
    finally:
        await engine.aclose()
    figure("model faults", cases=1, clear_errors=1, partial_edits=0)


OUTSIDE_CALLS = [
    {"name": "Edit", "arguments": {"path": "../other.py", "old_string": "total -= p", "new_string": "total += p"}},
    {"name": "Edit", "arguments": {"path": "/etc/passwd", "old_string": "total -= p", "new_string": "total += p"}},
    {"name": "Edit", "arguments": {"path": "helpers.py", "old_string": "total -= p", "new_string": "total += p"}},
]


@pytest.mark.parametrize("call", OUTSIDE_CALLS, ids=lambda c: c["arguments"]["path"])
async def test_tool_calls_for_other_files_are_refused(bench: Bench, call: dict[str, Any], figure: Any) -> None:
    """The model answers well-formed Edit calls, but for another file: refused, named, nothing applied."""
    engine = bench.engine(fallback=True, edit_format="tool_calls")
    try:
        bench.bad.push(bench.reply(bench.bad, "", tool_calls=[call]),
                       bench.reply(bench.bad, "", tool_calls=[call]))
        result = await engine.run(bench.request(pattern="tools"))
        assert result.edits == []
        assert result.error and call["arguments"]["path"] in result.error, result.error
        assert bench.file.read_text() == SOURCE
    finally:
        await engine.aclose()
    figure("model faults", cases=1, partial_edits=0)


# -- a backend process killed mid-stream --------------------------------------------------------------

@contextlib.contextmanager
def fake_process(kind: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A fake server in its own process (so it can die by SIGKILL); yields it and its URL."""
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    proc = subprocess.Popen([sys.executable, "-m", "fakes.serve", kind, "--model", OLLAMA_MODEL], stdout=subprocess.PIPE, text=True,
                            env=env, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[:1] == ["URL"], line
        yield proc, line[1]
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("fallback", [True, False], ids=["fallback", "no fallback"])
async def test_backend_killed_mid_stream(bench: Bench, fallback: bool, figure: Any) -> None:
    """SIGKILL the server while it streams: fallback or a clear error, never a hang."""
    with fake_process(bench.bad_kind) as (proc, url):
        # A long timeout, so what ends the call is the dead connection, however loaded the machine is.
        engine = bench.engine(fallback=fallback, bad_url=url, timeout_s=60)
        try:
            bench.good.push(bench.reply(bench.good, block(FIXED)))
            job = asyncio.create_task(engine.run(bench.request()))
            assert proc.stdout is not None
            assert (await asyncio.to_thread(proc.stdout.readline)).strip() == "REQUEST"
            await asyncio.sleep(0.2)  # a few tokens are out: the stream is in flight
            proc.kill()
            result = await asyncio.wait_for(job, 45)  # a guard against hanging, not a speed check
            if fallback:
                assert_fixed(result, bench)
                assert "fell back from bad" in result.summary
            else:
                assert result.edits == [] and result.error and "'bad'" in result.error, result.error
                assert any(w in result.error for w in ("stream broke", "connection broke", "stream ended")), \
                    result.error
                assert bench.file.read_text() == SOURCE
            # The dead endpoint now refuses connections: fallback again, or an error naming it.
            bench.good.push(bench.reply(bench.good, block(FIXED)))
            again = await asyncio.wait_for(engine.run(bench.request()), 45)
            if fallback:
                assert_fixed(again, bench)
            else:
                # Refused outright, or (httpx reusing its pooled connection to the dead process) a read
                # error before the first byte: both name the endpoint and what happened.
                assert again.error and "'bad'" in again.error, again.error
                assert any(w in again.error for w in ("cannot connect", "connection broke mid-answer after 0")), \
                    again.error
        finally:
            await engine.aclose()
    figure("model faults", cases=1, processes_killed=1, hangs=0, partial_edits=0)
