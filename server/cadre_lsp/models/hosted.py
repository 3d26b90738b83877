"""Embedded models served by a supervised child process (host.py), reached through the openai backend.

`ModelHost` owns one child per model file, shared by every endpoint that names the model (one copy of the
weights, one KV cache). It starts lazily on the first call (never at initialize: the editor's server
starts and idles as small as before), runs at a lower CPU priority, and stops when the last endpoint
closes, when this process exits (the child also exits when its stdin closes, so even a SIGKILL of this
process takes it down), or after `keep_alive` with no call in flight.

`HostedBackend` is the `embedded` endpoint kind: it makes sure the host runs, then speaks the OpenAI chat
protocol to it with the real `openai` client (streaming; a cancel closes the HTTP stream, which stops
generation; json_schema through response_format; llama.cpp's prompt cache and slots). A host that dies
mid-call (SIGKILL, SIGSEGV, abort) turns that call into `HostDied`, a clear, non-transient message: the
role pool falls back along the chain rather than feeding the same prompt to a model that just crashed on
it, and the next call starts a fresh host.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import logging
import os
import re
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import openai

from ..config.schema import EndpointConfig
from .base import (
    BackendUnavailable,
    Completion,
    Health,
    Message,
    ModelError,
    ModelNotFound,
    TokenCallback,
)
from .bundled import BUNDLED, cache_dir, ensure_model, model_status
from .host import KEY_ENV
from .openai_backend import OpenAIBackend
from .shared import SharedByFile, resolve_speculative, want_speculative

log = logging.getLogger(__name__)

DEFAULT_KEEP_ALIVE_S = 1800.0
"""An idle host is stopped after this long (a restart costs the model load, 2-5 s for the 0.5B here)."""
START_TIMEOUT_S = 300.0
"""Loading the 1.5B on a busy 2-core machine took up to ~15 s; this only catches a host that hangs."""
HOST_NICE = 10
"""The host's niceness (at least; a parent niced further passes its own on): the editor's server wins the
CPU whenever it has work."""


class HostDied(BackendUnavailable):
    """The model host process ended during the call; the next call starts a new one."""

    transient = False


def keep_alive_seconds(value: str | None) -> float | None:
    """"30s" / "10m" / "1h" / "90" -> seconds; "-1" (or any negative) -> None (never stop); default 30 min."""
    if value is None or not str(value).strip():
        return DEFAULT_KEEP_ALIVE_S
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
    if not m:
        raise ModelError(f"keep_alive {value!r}: expected a duration such as \"30s\", \"10m\", \"1h\" or \"-1\"")
    n = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    return None if n < 0 else n


def describe_exit(code: int | None) -> str:
    if code is None:
        return "running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class ModelHost:
    """One supervised child process serving one model file. Thread-based, so every event loop in the
    process (the LSP loop, CLI runs, tests) shares it; the blocking parts run in worker threads."""

    def __init__(self, key: str, model: str) -> None:
        self.key = key
        self.model = model
        self.users = 0
        self.n_ctx = 0
        self.n_parallel = 1
        self.n_threads: int | None = None
        self.speculative = "off"
        self.keep_alive_s: float | None = DEFAULT_KEEP_ALIVE_S
        self.api_key = secrets.token_urlsafe(24)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url: str | None = None
        self.pid: int | None = None
        self.load_s: float | None = None
        self.started_at: float | None = None
        self.starts = 0
        self.deaths: list[str] = []
        """How earlier hosts ended when nobody asked them to (newest last)."""
        self._dead: set[int] = set()
        self.in_flight = 0
        self.last_used = time.monotonic()
        self._lock = threading.Lock()
        self._stopping = False
        self._wake = threading.Event()
        self.log_path = cache_dir() / "logs" / f"host-{Path(key).stem}.log"

    def want(self, cfg: EndpointConfig) -> None:
        """Record an endpoint's needs; they size the host at its next start."""
        self.n_ctx = max(self.n_ctx, cfg.n_ctx)
        self.n_parallel = max(self.n_parallel, cfg.concurrency)
        if cfg.n_threads:
            self.n_threads = max(self.n_threads or 0, cfg.n_threads)
        self.speculative = want_speculative(self.model, self.speculative, cfg.speculative)
        ka = keep_alive_seconds(cfg.keep_alive)  # the longest any endpoint asked for (None: forever)
        if self.users <= 1:
            self.keep_alive_s = ka
        elif ka is None or self.keep_alive_s is None:
            self.keep_alive_s = None
        else:
            self.keep_alive_s = max(ka, self.keep_alive_s)

    # -- lifecycle ---------------------------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure_started(self) -> str:
        """The host's URL, starting it (or a replacement for a dead one) first; blocking."""
        with self._lock:
            if self.alive():
                assert self.url is not None
                return self.url
            if self.proc is not None:  # died since the last call: say so in the log, then start afresh
                self._note_death()
            path = ensure_model(self.model)
            self._spawn(path)
            assert self.url is not None
            return self.url

    def _spawn(self, path: Path) -> None:
        cmd = [sys.executable, "-m", "cadre_lsp.models.host", "--model", str(path), "--n-ctx", str(self.n_ctx),
               "--parallel", str(self.n_parallel), "--threads", str(self.n_threads or 0), "--nice", str(HOST_NICE),
               "--speculative", resolve_speculative(self.speculative)]
        env = {**os.environ, KEY_ENV: self.api_key}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]),
                                                        env.get("PYTHONPATH", "")) if p)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        with open(self.log_path, "wb") as err:
            # Its own session: a Ctrl-C meant for the editor's terminal does not reach it; stdin's EOF does.
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env,
                                    start_new_session=True, close_fds=True)
        assert proc.stdout is not None
        line = b""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not line.endswith(b"\n") and proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        try:
            info = json.loads(line.decode("utf-8", "replace"))
        except json.JSONDecodeError:
            info = {}
        if "url" not in info:
            self._kill(proc)
            why = info.get("error") or (f"the model host {describe_exit(proc.poll())} while loading"
                                        if proc.poll() is not None else
                                        f"the model host did not start within {START_TIMEOUT_S:g}s")
            raise ModelNotFound(f"{why} (log: {self.log_path})")
        self.proc, self.url, self.pid = proc, info["url"], proc.pid
        self.load_s = float(info.get("load_s") or (time.perf_counter() - t0))
        self.started_at = time.monotonic()
        self.last_used = time.monotonic()
        self.starts += 1
        self._stopping = False
        log.info("model host for %s: pid %d at %s, loaded in %.1f s", self.model, proc.pid, self.url, self.load_s)
        threading.Thread(target=self._watch_idle, args=(proc,), daemon=True,
                         name=f"cadre-host-idle-{proc.pid}").start()

    def _note_death(self) -> None:
        assert self.proc is not None
        if not self._stopping:
            self._record_death(self.proc)
        self.proc = self.url = self.pid = None

    def _record_death(self, proc: subprocess.Popen[bytes]) -> str:
        how = describe_exit(proc.poll())
        if proc.pid not in self._dead:
            self._dead.add(proc.pid)
            self.deaths.append(how)
            log.warning("model host for %s (pid %d) %s; the next call starts a new one", self.model, proc.pid, how)
        return how

    def died_during_call(self, proc: subprocess.Popen[bytes] | None, wait_s: float = 2.0) -> str | None:
        """After a failed call on `proc`: how it ended, if it did (waiting briefly for the exit to be
        reaped, since a broken stream can be seen a moment before the process is gone); None while it runs
        or when it was stopped on purpose."""
        if proc is None:
            return None
        try:
            code = proc.wait(wait_s) if wait_s > 0 else proc.poll()
        except subprocess.TimeoutExpired:
            return None
        if code is None:
            return None
        return None if self._stopping and self.proc is None else self._record_death(proc)

    def _watch_idle(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop the host after `keep_alive_s` with no call in flight; ends with the process."""
        while proc.poll() is None:
            ka = self.keep_alive_s
            self._wake.wait(min(5.0, ka / 4) if ka else 5.0)
            self._wake.clear()
            if ka is not None and self.proc is proc and self.in_flight == 0 \
                    and time.monotonic() - self.last_used >= ka:
                log.info("model host for %s idle for %.0f s: stopping it", self.model, ka)
                self.stop()
                return

    def stop(self) -> None:
        """Ask the host to exit (close its stdin), kill it if it lingers; the next call starts a new one."""
        with self._lock:
            proc, self._stopping = self.proc, True
            if proc is not None:
                self._kill(proc)
            self.proc = self.url = self.pid = None
        self._wake.set()

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(3)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    # -- calls -------------------------------------------------------------------------------------
    def begin(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.last_used = time.monotonic()

    def end(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self.last_used = time.monotonic()

    def state(self) -> dict[str, Any]:
        """For `cadre.status`, `doctor` and `models`."""
        alive = self.alive()
        return {"model": self.model, "state": "running" if alive else ("stopped" if self.starts else "not started"),
                "pid": self.pid if alive else None, "url": self.url if alive else None, "load_s": self.load_s,
                "up_s": round(time.monotonic() - self.started_at, 1) if alive and self.started_at else None,
                "starts": self.starts, "crashes": len(self.deaths), "last_crash": self.deaths[-1] if self.deaths else None,
                "in_flight": self.in_flight, "endpoints": self.users, "slots": self.n_parallel,
                "keep_alive_s": self.keep_alive_s, "log": str(self.log_path)}


_HOSTS: SharedByFile[ModelHost] = SharedByFile(lambda key, model: ModelHost(key, model))


@atexit.register
def stop_all() -> None:
    """Stop every host when this process exits (a hard exit is covered by the host's stdin EOF)."""
    for h in _HOSTS.values():
        h.stop()


def hosts() -> dict[str, dict[str, Any]]:
    """Model file -> host state, for `cadre.status` and `doctor`."""
    return {h.key: h.state() for h in _HOSTS.values()}


class HostedBackend:
    """The `embedded` kind, served by a `ModelHost` child; see the module docstring."""

    def __init__(self, name: str, cfg: EndpointConfig) -> None:
        if not cfg.model:
            raise ModelError(f"endpoint {name!r}: kind \"embedded\" needs `model` (one of "
                             f"{', '.join(BUNDLED)}, or a path to a .gguf file)", endpoint=name)
        if importlib.util.find_spec("xllamacpp") is None:  # the host needs it; say so before starting one
            raise ImportError("xllamacpp", name="xllamacpp")
        self.name = name
        self.model = cfg.model
        self.cfg = cfg
        self._host: ModelHost | None = _HOSTS.acquire(cfg)
        self._client: OpenAIBackend | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def host(self) -> ModelHost:
        if self._host is None:
            raise ModelError(f"endpoint {self.name!r} is closed", endpoint=self.name)
        return self._host

    async def _client_for_host(self) -> OpenAIBackend:
        host = self.host
        try:
            url = await asyncio.to_thread(host.ensure_started)
        except ModelError as exc:
            exc.endpoint = self.name
            raise
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.cfg.base_url != url or self._client_loop is not loop:
            old, self._client = self._client, OpenAIBackend(self.name, EndpointConfig(
                kind="openai", model=self.model, base_url=url, api_key=host.api_key, timeout_s=self.cfg.timeout_s,
                options=self.cfg.options))
            # An httpx client's connections belong to the loop that opened them (a CLI run, a test, the
            # LSP loop): one on another loop is dropped, not closed, as closing would touch that loop.
            if old is not None and self._client_loop is loop:
                await old.aclose()
            self._client_loop = loop
        return self._client

    async def load(self) -> float:
        """Start the host now (the first chat does it anyway); returns its model load time in s."""
        await self._client_for_host()
        return self.host.load_s or 0.0

    async def chat(self, messages: list[Message], *, tools: list[dict[str, Any]] | None = None,
                   schema: dict[str, Any] | None = None, max_tokens: int = 512, temperature: float = 0.2,
                   stop: list[str] | None = None, on_token: TokenCallback | None = None) -> Completion:
        client = await self._client_for_host()
        host = self.host
        proc, pid = host.proc, host.pid
        host.begin()
        try:
            out = await client.chat(messages, tools=tools, schema=schema, max_tokens=max_tokens,
                                    temperature=temperature, stop=stop, on_token=on_token)
        except ModelError as exc:
            # A broken connection can be seen a moment before the exit is reaped: wait briefly for it.
            # An HTTP status means the host answered, so it was alive.
            broke = not isinstance(exc.__cause__, openai.APIStatusError)
            how = await asyncio.to_thread(host.died_during_call, proc, 2.0 if broke else 0.0)
            if how is None:
                raise
            err = HostDied(f"embedded endpoint {self.name!r}: the model host for {self.model} (pid {pid}) {how} "
                           f"during this request; the next request starts a new one (log: {host.log_path})",
                           endpoint=self.name)
            err.partial_text = getattr(exc, "partial_text", None)  # type: ignore[attr-defined]
            raise err from exc
        finally:
            host.end()
        out.model = self.model
        return out

    async def health(self, probe: bool = False) -> Health:
        status = model_status(self.model)
        host = self.host
        st = host.state()
        present = host.alive() or bool(status["cached"] or status["parts_installed"])
        if st["state"] == "running":
            detail = f"host pid {st['pid']} at {st['url']}, up {st['up_s']:.0f} s, loaded in {st['load_s']:.1f} s"
        elif status["cached"]:
            detail = f"cached at {status['path']}; host starts on first use"
        elif present:
            detail = "part packages installed; joined into the cache on first use"
        else:
            detail = f"model {self.model!r} not available"
        if st["crashes"]:
            detail += f"; {st['crashes']} crash(es), last {st['last_crash']}"
        health = Health(endpoint=self.name, ok=present, reachable=True, model_present=present, detail=detail,
                        hint=status["hint"] if not present else "")
        if not probe or not present:
            return health
        try:
            client = await self._client_for_host()
            got = await client.health(probe=True)
            health.probe_s, health.tokens_per_s = got.probe_s, got.tokens_per_s
            health.ok = got.ok
            st = host.state()
            health.detail = (f"host pid {st['pid']} at {st['url']}, loaded in {st['load_s']:.1f} s"
                             + ("" if got.ok else f"; {got.detail}"))
        except ModelError as exc:
            health.ok = False
            health.detail = str(exc)
            health.hint = status["hint"]
        return health

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.aclose()
        host, self._host = self._host, None
        if host is not None and _HOSTS.release(host):
            await asyncio.to_thread(host.stop)
