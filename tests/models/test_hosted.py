"""The `embedded` kind served by a supervised model host (a real child process running llama.cpp's server
through xllamacpp), reached with the real `openai` client. Tests marked `model` drive the bundled 0.5B
(temp 0, a few tokens each); the module shares one host where it can."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("xllamacpp")

from cadre_lsp.config.schema import EndpointConfig
from cadre_lsp.models import hosted
from cadre_lsp.models.base import ChatBackend, ModelNotFound
from cadre_lsp.models.bundled import model_status
from cadre_lsp.models.embedded import EmbeddedBackend
from cadre_lsp.models.factory import make_backend
from cadre_lsp.models.hosted import HostedBackend, keep_alive_seconds

MODEL = "qwen2.5-coder-0.5b"
SERVER_DIR = Path(__file__).resolve().parents[2] / "server"
COUNT = [{"role": "user", "content": "Count from 1 to 100, separated by commas."}]

needs_model = [
    pytest.mark.model,
    pytest.mark.skipif(not (model_status(MODEL)["cached"] or model_status(MODEL)["parts_installed"]),
                       reason=f"bundled {MODEL} not installed"),
]


def cfg(**kw: object) -> EndpointConfig:
    return EndpointConfig(kind="embedded", model=kw.pop("model", MODEL), **kw)  # type: ignore[arg-type]


def wait_for(cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie still answers kill(0): it is gone as far as serving goes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


# --- without a model ---------------------------------------------------------------------------------


def test_embedded_is_hosted_unless_asked_in_process() -> None:
    b = make_backend("x", cfg(model="/nonexistent/m.gguf"))
    assert isinstance(b, HostedBackend) and isinstance(b, ChatBackend)
    assert b.host.state()["state"] == "not started"  # built, not started: the first call starts it
    c = make_backend("y", cfg(model="/nonexistent/m.gguf", host="in-process"))
    assert isinstance(c, EmbeddedBackend)
    asyncio.run(b.aclose())
    asyncio.run(c.aclose())


@pytest.mark.parametrize(("value", "seconds"), [(None, 1800.0), ("30s", 30.0), ("10m", 600.0), ("1h", 3600.0),
                                                 ("90", 90.0), ("-1", None)])
def test_keep_alive_durations(value: str | None, seconds: float | None) -> None:
    assert keep_alive_seconds(value) == seconds


def test_bad_keep_alive_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="keep_alive 'soon'"):
        keep_alive_seconds("soon")


def test_a_file_that_is_not_a_gguf_fails_with_a_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"this is not a model" * 100)
    b = make_backend("bad", cfg(model=str(bad)))

    async def run() -> None:
        try:
            with pytest.raises(ModelNotFound, match="is it a valid GGUF file") as info:
                await b.chat([{"role": "user", "content": "hi"}], max_tokens=4)
            assert "log:" in str(info.value) and info.value.endpoint == "bad"
        finally:
            await b.aclose()

    asyncio.run(run())


def test_the_host_refuses_to_run_without_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != hosted.KEY_ENV}
    env["PYTHONPATH"] = str(SERVER_DIR)
    out = subprocess.run([sys.executable, "-m", "cadre_lsp.models.host", "--model", "/nonexistent.gguf"],
                         capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "no API key" in json.loads(out.stdout)["error"]


# --- with the bundled 0.5B -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emb() -> Iterator[HostedBackend]:
    b = HostedBackend("emb", cfg(keep_alive="-1"))
    yield b
    asyncio.run(b.aclose())


class TestWithTheModel:
    pytestmark = needs_model

    def test_first_call_starts_a_niced_host_and_streams(self, emb: HostedBackend) -> None:
        got: list[str] = []
        c = asyncio.run(emb.chat(COUNT, max_tokens=12, temperature=0.0, on_token=got.append))
        st = emb.host.state()
        assert st["state"] == "running" and st["pid"] != os.getpid() and st["url"].startswith("http://127.0.0.1:")
        assert "1, 2, 3" in c.text and "".join(got) == c.text and len(got) > 3
        assert c.usage.completion_tokens == 12 and c.model == MODEL
        assert os.getpriority(os.PRIO_PROCESS, st["pid"]) == max(hosted.HOST_NICE, os.getpriority(os.PRIO_PROCESS, 0))

    def test_the_host_rejects_calls_without_its_key(self, emb: HostedBackend) -> None:
        import openai

        asyncio.run(emb.load())
        client = openai.OpenAI(base_url=emb.host.url + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            client.models.list()

    def test_json_schema_is_strict_json(self, emb: HostedBackend) -> None:
        schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}},
                  "required": ["name"], "additionalProperties": False}
        c = asyncio.run(emb.chat([{"role": "user", "content": "Name a fruit as JSON."}], schema=schema,
                                 max_tokens=30, temperature=0.0))
        value = json.loads(c.text)
        assert set(value) == {"name"} and len(value["name"]) <= 12

    def test_same_prefix_is_served_from_the_prompt_cache(self, emb: HostedBackend) -> None:
        msgs = [{"role": "system", "content": "You are terse. " * 40}, {"role": "user", "content": "Say hi."}]
        asyncio.run(emb.chat(msgs, max_tokens=2, temperature=0.0))
        again = asyncio.run(emb.chat(msgs, max_tokens=2, temperature=0.0))
        assert again.usage.cached_tokens >= again.usage.prompt_tokens - 4

    def test_cancel_closes_the_stream_and_frees_the_slot(self, emb: HostedBackend) -> None:
        async def run() -> int:
            got: list[str] = []
            task = asyncio.create_task(emb.chat(COUNT, max_tokens=300, temperature=0.0, on_token=got.append))
            while len(got) < 5:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The slot is free again: a 3-token call does not wait behind 295 more tokens of the old one.
            nxt = await emb.chat([{"role": "user", "content": "Say ok."}], max_tokens=3, temperature=0.0)
            return nxt.usage.completion_tokens

        assert asyncio.run(run()) >= 1
        import httpx

        slots = httpx.get(emb.host.url + "/slots", headers={"Authorization": f"Bearer {emb.host.api_key}"}).json()
        assert not any(s.get("is_processing") for s in slots)
        done = [s.get("next_token", [{}])[0].get("n_decoded", 0) for s in slots]
        assert all(n < 300 for n in done), done

    def test_sigkill_mid_call_is_a_clear_error_and_the_next_call_restarts(self, emb: HostedBackend) -> None:
        async def run() -> tuple[BaseException, str]:
            got: list[str] = []
            task = asyncio.create_task(emb.chat(COUNT, max_tokens=300, temperature=0.0, on_token=got.append))
            while len(got) < 3:
                await asyncio.sleep(0.01)
            os.kill(emb.host.pid or 0, signal.SIGKILL)
            err = await asyncio.gather(task, return_exceptions=True)
            nxt = await emb.chat([{"role": "user", "content": "Say ok."}], max_tokens=3, temperature=0.0)
            return err[0], nxt.text

        before = emb.host.state()
        err, text = asyncio.run(run())
        assert isinstance(err, hosted.HostDied) and not err.transient
        assert "killed by SIGKILL during this request" in str(err) and "next request starts a new one" in str(err)
        after = emb.host.state()
        assert text and after["starts"] == before["starts"] + 1 and after["pid"] != before["pid"]
        assert after["crashes"] == before["crashes"] + 1 and after["last_crash"] == "killed by SIGKILL"

    def test_idle_host_stops_after_keep_alive_and_restarts_on_demand(self, tmp_path: Path) -> None:
        from cadre_lsp.models.bundled import ensure_model

        own = tmp_path / "own.gguf"  # another path: its own host, not the module's (kept alive forever)
        try:
            os.link(ensure_model(MODEL), own)
        except OSError:
            pytest.skip("cannot hard-link the model into the temporary directory")
        b = HostedBackend("idle", cfg(model=str(own), keep_alive="1s", n_ctx=1024))
        try:
            asyncio.run(b.chat([{"role": "user", "content": "Say ok."}], max_tokens=2, temperature=0.0))
            pid = b.host.pid
            assert pid is not None
            wait_for(lambda: b.host.state()["state"] == "stopped", 30)
            wait_for(lambda: gone(pid), 10)
            asyncio.run(b.chat([{"role": "user", "content": "Say ok."}], max_tokens=2, temperature=0.0))
            assert b.host.state()["starts"] == 2 and b.host.state()["crashes"] == 0
        finally:
            asyncio.run(b.aclose())
        assert b._host is None

    def test_the_host_exits_when_its_parent_is_killed(self, tmp_path: Path) -> None:
        script = tmp_path / "parent.py"
        script.write_text(
            "import asyncio, sys, time\n"
            "from cadre_lsp.config.schema import EndpointConfig\n"
            "from cadre_lsp.models.hosted import HostedBackend\n"
            f"b = HostedBackend('p', EndpointConfig(kind='embedded', model={MODEL!r}, n_ctx=1024))\n"
            "asyncio.run(b.load())\n"
            "print(b.host.pid, flush=True)\n"
            "time.sleep(600)\n")
        env = {**os.environ, "PYTHONPATH": str(SERVER_DIR)}
        parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
        try:
            assert parent.stdout is not None
            host_pid = int(parent.stdout.readline())
            assert not gone(host_pid)
            parent.kill()
            parent.wait()
            wait_for(lambda: gone(host_pid), 20)  # stdin EOF: the host ends itself
        finally:
            if parent.poll() is None:
                parent.kill()


def test_embedded_without_llama_cpp_is_one_line_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wheel installed without the [embedded] extra (pipx's default): a clear error, not a traceback."""
    import importlib.util

    from cadre_lsp.models.base import ModelError
    from cadre_lsp.models.factory import make_backend

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "xllamacpp" else real(name, *a))
    with pytest.raises(ModelError) as err:
        make_backend("coder", EndpointConfig(kind="embedded", model="qwen2.5-coder-1.5b"))
    assert "unavailable (xllamacpp)" in str(err.value) and "cadre-lsp[embedded]" in str(err.value)


@pytest.mark.model
@pytest.mark.skipif(not (model_status(MODEL)["cached"] or model_status(MODEL)["parts_installed"]),
                    reason=f"bundled {MODEL} not installed")
def test_ngram_speculation_reaches_the_host_and_drafts_from_the_prompt(tmp_path: Path) -> None:
    """`speculative = "ngram"` is passed to the host's llama.cpp: copying code from the prompt is then
    drafted (tokens proposed and accepted), and the answer is still the model's own."""
    from cadre_lsp.models.bundled import ensure_model

    link = tmp_path / "spec.gguf"  # another file: a host of its own (endpoints on one file share one)
    try:
        os.link(ensure_model(MODEL), link)
    except OSError:
        import shutil

        shutil.copyfile(ensure_model(MODEL), link)
    code = "def total_price(items):\n    total = 0\n    for item in items:\n        total += item.price\n    return total\n"
    ask = [{"role": "user", "content": f"Repeat this Python function exactly, in one ```python block:\n"
                                       f"```python\n{code}```"}]
    spec = HostedBackend("spec", cfg(model=str(link), speculative="ngram"))
    plain = HostedBackend("plain", cfg())
    try:
        fast = asyncio.run(spec.chat(ask, max_tokens=80, temperature=0.0))
        slow = asyncio.run(plain.chat(ask, max_tokens=80, temperature=0.0))
    finally:
        asyncio.run(spec.aclose())
        asyncio.run(plain.aclose())
    assert "def total_price(items):" in fast.text and "total += item.price" in fast.text
    assert fast.timings.draft_tokens and fast.timings.draft_accepted, fast.timings
    assert fast.timings.draft_accepted > fast.timings.draft_tokens / 2  # mostly copied from the prompt
    assert not slow.timings.draft_tokens  # off by default
