"""Embedded backend: a GGUF model run in-process by llama.cpp (xllamacpp), no server to install.

One `xllamacpp.Server` is loaded per model file per process and shared by every endpoint that names the
model, so a reasoning and a coding role on the same file cost one copy of the weights and share one KV
cache. The model is loaded lazily on the first chat, in a worker thread, so the event loop stays free.

Each request runs in its own worker thread through `handle_chat_completions` with streaming (no HTTP):
tokens are handed to the event loop with `call_soon_threadsafe`, and the stream callback answers "stop"
as soon as the awaiting task is cancelled, so generation ends within a token (and a long prompt's
evaluation within one batch: the stream also carries prompt progress). Requests wait in a FIFO
gate of `n_parallel` slots (1 unless an endpoint asks for more `concurrency`), taken in the worker, so a
request cancelled while queued never starts its prompt evaluation.

`verbosity=0` keeps llama.cpp silent: nothing may reach stdout, where the language server speaks.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xllamacpp as xlc

from ..config.schema import EndpointConfig
from .base import (
    BadResponse,
    Completion,
    Health,
    Message,
    ModelError,
    ModelNotFound,
    Timings,
    TokenCallback,
    Usage,
    emit,
)
from .bundled import BUNDLED, ensure_model, model_status
from .probe import timed_probe
from .shared import SharedByFile, resolve_speculative, want_speculative

log = logging.getLogger(__name__)

_Post = Callable[[tuple[str, Any]], None]

_PROMPT_BATCH = 256
"""Prompt tokens evaluated between two cancellation checks (about 2 s for the 0.5B on 2 cores)."""


class SlotGate:
    """A FIFO gate of `n` slots taken from worker threads; a waiter gives up once its `cancel` is set.

    Thread-based rather than asyncio-based so one gate serves every event loop and thread in the process
    (the LSP loop, CLI runs, tests), and so the queue is strictly first come, first served."""

    def __init__(self, n: int) -> None:
        self._cond = threading.Condition()
        self._free = n
        self._queue: deque[object] = deque()

    def acquire(self, cancel: threading.Event) -> bool:
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while not (self._free > 0 and self._queue[0] is ticket):
                    if cancel.is_set():
                        return False
                    self._cond.wait()
                self._free -= 1
                return True
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return len(self._queue)

    def release(self) -> None:
        with self._cond:
            self._free += 1
            self._cond.notify_all()

    def wake(self) -> None:
        """Let waiters re-check their cancel flags."""
        with self._cond:
            self._cond.notify_all()


class _SharedModel:
    """One model file loaded once per process, and what its endpoints asked of it."""

    def __init__(self, key: str, model: str) -> None:
        self.key = key
        self.model = model
        self.users = 0
        self.n_ctx = 0
        self.n_parallel = 1
        self.n_threads: int | None = None
        self.speculative = "off"
        self.server: Any = None
        self.path: Path | None = None
        self.load_s: float | None = None
        self.slots: SlotGate | None = None
        self._load_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.stats = {"requests": 0, "cancelled": 0, "errors": 0, "chunks": 0}
        """Counters across endpoints; `chunks` counts streamed text fragments (about one per token)."""

    def count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def want(self, cfg: EndpointConfig) -> None:
        """Record an endpoint's needs; they size the Server when it is loaded (later ones only warn)."""
        if self.server is not None and (cfg.n_ctx > self.n_ctx or cfg.concurrency > self.n_parallel):
            log.warning("embedded model %s is already loaded with n_ctx=%d, %d slot(s); an endpoint asking "
                        "for n_ctx=%d, concurrency=%d gets those", self.model, self.n_ctx, self.n_parallel,
                        cfg.n_ctx, cfg.concurrency)
            return
        self.n_ctx = max(self.n_ctx, cfg.n_ctx)
        self.n_parallel = max(self.n_parallel, cfg.concurrency)
        if cfg.n_threads:
            self.n_threads = max(self.n_threads or 0, cfg.n_threads)
        self.speculative = want_speculative(self.model, self.speculative, cfg.speculative)

    def ensure_loaded(self) -> Any:
        """Join/locate the GGUF and start the Server once; blocking, so call it from a worker thread."""
        with self._load_lock:
            if self.server is not None:
                return self.server
            path = ensure_model(self.model)
            threads = self.n_threads or _cpu_count()
            # The library also serves HTTP on a random local port; a random key keeps other local users
            # off it (in-process calls do not go through the HTTP layer).
            p = llama_params(path, self.n_ctx, self.n_parallel, threads, secrets.token_urlsafe(24),
                             resolve_speculative(self.speculative))
            t0 = time.perf_counter()
            try:
                server = xlc.Server(p)
            except Exception as exc:
                raise ModelNotFound(f"could not load {path} with llama.cpp ({exc}); is it a valid GGUF file?") \
                    from None
            self.load_s = time.perf_counter() - t0
            self.path = path
            self.slots = SlotGate(self.n_parallel)
            self.server = server
            log.info("embedded model %s loaded from %s in %.1f s (%d threads, n_ctx %d x %d slot(s))",
                     self.model, path, self.load_s, threads, self.n_ctx, self.n_parallel)
            return server

    def unload(self) -> None:
        """Drop the Server; a request still running keeps its own reference until it finishes."""
        with self._load_lock:
            self.server = None
            self.slots = None


NGRAM_KEY, NGRAM_DRAFT = 4, 16
"""n-gram speculation: look up the last 4 tokens in the history, draft up to 16 that followed them.
Measured on the rewrite format (bench/README.md "Speculative decoding"): 4/16 beat llama.cpp's 12/48."""
DRAFT_MAX = 8
"""Tokens a draft model proposes per step."""


def llama_params(path: Path, n_ctx: int, n_parallel: int, threads: int, api_key: str,
                 speculative: str = "off") -> Any:
    """The xllamacpp Server parameters both the in-process backend and the model host (host.py) use.
    `speculative`: "off", "ngram" or "draft:PATH" (EndpointConfig.speculative, the model resolved)."""
    p = xlc.CommonParams()
    p.model.path = str(path)
    p.n_ctx = n_ctx * n_parallel  # llama.cpp splits n_ctx across the slots
    p.n_parallel = n_parallel
    # The stream reports prompt progress once per batch, and only then can a cancel land: a
    # smaller batch lets a cancelled request give the model back sooner during a long prompt.
    p.n_batch = p.n_ubatch = _PROMPT_BATCH
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.verbosity = 0  # silent: stdout is the LSP channel, stderr would drown the log
    p.ui = False
    p.api_keys = [api_key]
    spec = p.speculative
    if speculative == "ngram":
        spec.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
        spec.ngram_simple.size_n, spec.ngram_simple.size_m = NGRAM_KEY, NGRAM_DRAFT
    elif speculative.startswith("draft:"):
        spec.types = [xlc.common_speculative_type.COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE]
        spec.draft.mparams.path = speculative[len("draft:"):]
        spec.draft.n_max = DRAFT_MAX
        spec.draft.cpuparams.n_threads = spec.draft.cpuparams_batch.n_threads = threads
    return p


def chat_request(messages: list[Message], tools: list[dict[str, Any]] | None, schema: dict[str, Any] | None,
                 max_tokens: int, temperature: float, stop: list[str] | None,
                 options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chat request body llama.cpp gets for one call (no streaming fields): also what the speculative
    bench replays, so both send exactly this."""
    req: dict[str, Any] = {**(options or {}), "messages": messages, "max_tokens": max_tokens,
                           "temperature": temperature}
    if schema is not None:
        req["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    elif tools:
        req["tools"] = tools
    if stop:
        req["stop"] = stop
    return req


def _cpu_count() -> int:
    """Cores this process may run on (affinity-aware where the OS tells us)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


_REGISTRY: SharedByFile[_SharedModel] = SharedByFile(lambda key, model: _SharedModel(key, model))
_REGISTRY_LOCK = _REGISTRY.lock
_ACTIVE: dict[threading.Thread, threading.Event] = {}
"""Running request workers and their cancel flags (for a clean interpreter exit)."""

_EXIT_GRACE_S = 15.0


@atexit.register
def _stop_at_exit() -> None:
    """Stop running generations and free the models while the interpreter is still whole.

    A worker thread still inside llama.cpp when Python finalizes crashes the process (exit 139), which
    happens when the server exits mid-job without cancelling its tasks. A cancelled stream returns at
    its next token; a prompt still being evaluated gets `_EXIT_GRACE_S` to finish."""
    with _REGISTRY_LOCK:
        active = list(_ACTIVE.items())
        entries = list(_REGISTRY.entries.values())
    for _, cancel in active:
        cancel.set()
    for entry in entries:
        if entry.slots is not None:
            entry.slots.wake()
    deadline = time.monotonic() + _EXIT_GRACE_S
    for worker, _ in active:
        worker.join(max(0.0, deadline - time.monotonic()))
    for entry in entries:
        entry.unload()


def loaded_models() -> dict[str, dict[str, Any]]:
    """Model file -> load facts and counters, for `cadre.status`."""
    entries = _REGISTRY.values()
    return {
        e.key: {"model": e.model, "loaded": e.server is not None, "load_s": e.load_s, "endpoints": e.users,
                "n_ctx": e.n_ctx, "slots": e.n_parallel, "queued": e.slots.waiting if e.slots else 0, **e.stats}
        for e in entries
    }


def _error_message(err: Any) -> tuple[str, bool]:
    """Message and transience of a llama.cpp error object ({"code", "message", "type"})."""
    if isinstance(err, dict):
        code = err.get("code")
        msg = f"llama.cpp error {code}: {err.get('message', err)}"
        return msg, not (isinstance(code, int) and 400 <= code < 500)
    return f"llama.cpp error: {err}", True


def _tool_calls(acc: dict[int, dict[str, str]]) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for _, tc in sorted(acc.items()):
        try:
            args: Any = json.loads(tc["arguments"]) if tc["arguments"] else {}
        except json.JSONDecodeError:
            args = tc["arguments"]
        calls.append({"name": tc["name"], "arguments": args})
    return calls


class _Stream:
    """Collects one streamed answer in the worker thread and forwards text fragments to the loop."""

    def __init__(self, entry: _SharedModel, cancel: threading.Event, post: _Post) -> None:
        self.entry = entry
        self.cancel = cancel
        self.post = post
        self.text: list[str] = []
        self.tools: dict[int, dict[str, str]] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] = {}
        self.timings: dict[str, Any] = {}
        self.error: Any = None

    def __call__(self, chunk: dict[str, Any]) -> bool:
        """The xllamacpp callback: returning True stops generation (or prompt evaluation: progress
        chunks arrive once per batch, see `_PROMPT_BATCH`)."""
        if "error" in chunk:
            self.error = chunk["error"]
            return True
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            fragment = delta.get("content")
            if fragment:
                self.text.append(fragment)
                self.entry.count("chunks")
                if not self.cancel.is_set():
                    self.post(("token", fragment))
            for tc in delta.get("tool_calls") or ():
                slot = self.tools.setdefault(tc.get("index", 0), {"name": "", "arguments": ""})
                fn = tc.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        self.usage = chunk.get("usage") or self.usage
        self.timings = chunk.get("timings") or self.timings
        return self.cancel.is_set()


class EmbeddedBackend:
    """A ChatBackend on an in-process llama.cpp model: a bundled name (see bundled.py) or a .gguf path.

    `tools` are sent in the request, where the model's chat template renders them into the prompt; the
    Qwen models answer with the call as fenced JSON *text* (xllamacpp returns no native `tool_calls` for
    them, notes trap 5), so callers parse `text`. Native calls are mapped when a template yields them.
    If the template cannot take tools, the request is retried without them. With a `schema`, tools are
    not sent: the answer is grammar-constrained JSON. `cfg.options` are merged into every request
    (llama.cpp sampling fields such as top_k, min_p, repeat_penalty, seed).
    Timeouts, retries and per-endpoint queues belong to the role layer; this class never times out.
    """

    def __init__(self, name: str, cfg: EndpointConfig) -> None:
        if not cfg.model:
            raise ModelError(f"endpoint {name!r}: kind \"embedded\" needs `model` (one of "
                             f"{', '.join(BUNDLED)}, or a path to a .gguf file)", endpoint=name)
        self.name = name
        self.model = cfg.model
        self.cfg = cfg
        self._entry: _SharedModel | None = _REGISTRY.acquire(cfg)

    @property
    def shared(self) -> _SharedModel:
        if self._entry is None:
            raise ModelError(f"endpoint {self.name!r} is closed", endpoint=self.name)
        return self._entry

    async def load(self) -> float:
        """Load the model now (the first chat does it anyway); returns this process's load time in s."""
        entry = self.shared
        try:
            await asyncio.to_thread(entry.ensure_loaded)
        except ModelError as exc:
            exc.endpoint = self.name
            raise
        return entry.load_s or 0.0

    def _request(self, messages: list[Message], tools: list[dict[str, Any]] | None,
                 schema: dict[str, Any] | None, max_tokens: int, temperature: float,
                 stop: list[str] | None) -> dict[str, Any]:
        return {**chat_request(messages, tools, schema, max_tokens, temperature, stop, self.cfg.options),
                "stream": True, "return_progress": True, "stream_options": {"include_usage": True}}

    def _run_worker(self, req: dict[str, Any], cancel: threading.Event, post: _Post) -> None:
        try:
            self._work(req, cancel, post)
        finally:
            with _REGISTRY_LOCK:
                _ACTIVE.pop(threading.current_thread(), None)

    def _work(self, req: dict[str, Any], cancel: threading.Event, post: _Post) -> None:
        """Worker thread: load if needed, wait for a slot, stream the answer; report one final item."""
        entry = self.shared
        try:
            server = entry.ensure_loaded()
            slots = entry.slots
            assert slots is not None
            if not slots.acquire(cancel):
                post(("cancelled", None))
                return
            try:
                entry.count("requests")
                stream = _Stream(entry, cancel, post)
                try:
                    ret = server.handle_chat_completions(req, stream)
                except ValueError as exc:
                    if "tools" not in req:
                        raise
                    log.info("endpoint %s: chat template cannot take tools (%s); retrying without", self.name,
                             exc)
                    req = {k: v for k, v in req.items() if k != "tools"}
                    stream = _Stream(entry, cancel, post)
                    ret = server.handle_chat_completions(req, stream)
                if isinstance(ret, dict) and "error" in ret:
                    stream.error = ret["error"]
            finally:
                slots.release()
            if cancel.is_set():
                entry.count("cancelled")
            if stream.error is not None:
                entry.count("errors")
                msg, transient = _error_message(stream.error)
                post(("error", BadResponse(msg, endpoint=self.name, transient=transient)))
            else:
                post(("done", stream))
        except ModelError as exc:
            exc.endpoint = self.name
            post(("error", exc))
        except ValueError as exc:  # xllamacpp rejects a malformed request or schema this way
            entry.count("errors")
            post(("error", BadResponse(f"llama.cpp rejected the request: {exc}", endpoint=self.name,
                                       transient=False)))
        except Exception as exc:
            entry.count("errors")
            post(("error", BadResponse(f"llama.cpp failed: {exc!r}", endpoint=self.name)))

    async def chat(
        self,
        messages: list[Message],
        *,
        tools: list[dict[str, Any]] | None = None,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
        stop: list[str] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        req = self._request(messages, tools, schema, max_tokens, temperature, stop)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()

        def post(item: tuple[str, Any]) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                cancel.set()

        t0 = time.perf_counter()
        first: float | None = None
        worker = threading.Thread(target=self._run_worker, args=(req, cancel, post), daemon=True,
                                  name=f"cadre-embedded-{self.name}")
        with _REGISTRY_LOCK:
            _ACTIVE[worker] = cancel
        worker.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "token":
                    if first is None:
                        first = time.perf_counter() - t0
                    await emit(on_token, value)
                elif kind == "done":
                    return self._completion(value, time.perf_counter() - t0, first)
                elif kind == "error":
                    raise value
                else:  # "cancelled" arrives only after we set the flag ourselves
                    raise asyncio.CancelledError
        except BaseException:
            cancel.set()  # stops the stream at its next token, or takes the request out of the queue
            slots = self._entry.slots if self._entry else None
            if slots is not None:
                slots.wake()
            raise

    def _completion(self, s: _Stream, total_s: float, first: float | None) -> Completion:
        t, u = s.timings, s.usage
        prompt_n, cache_n = int(t.get("prompt_n", 0)), int(t.get("cache_n", 0))
        details = u.get("prompt_tokens_details") or {}
        usage = Usage(
            prompt_tokens=int(u.get("prompt_tokens", prompt_n + cache_n)),
            completion_tokens=int(u.get("completion_tokens", t.get("predicted_n", 0))),
            cached_tokens=int(details.get("cached_tokens", cache_n)),
        )
        # llama.cpp reports 0 tok/s when a single token was generated (it came with the prompt): no rate.
        decode_rate = t.get("predicted_per_second") if int(t.get("predicted_n", 0)) > 1 else None
        timings = Timings(total_s=total_s, first_token_s=first,
                          prompt_tokens_per_s=t.get("prompt_per_second") or None,
                          tokens_per_s=decode_rate or None, draft_tokens=t.get("draft_n"),
                          draft_accepted=t.get("draft_n_accepted"))
        return Completion(text="".join(s.text), tool_calls=_tool_calls(s.tools), usage=usage, timings=timings,
                          model=self.model, endpoint=self.name, finish_reason=s.finish_reason)

    async def health(self, probe: bool = False) -> Health:
        status = model_status(self.model)
        entry = self._entry
        loaded = entry is not None and entry.server is not None
        present = loaded or bool(status["cached"] or status["parts_installed"])
        if loaded:
            assert entry is not None
            detail = f"loaded from {entry.path} in {entry.load_s:.1f} s"
        elif status["cached"]:
            detail = f"cached at {status['path']}, loads on first use"
        elif present:
            detail = "part packages installed; joined into the cache on first use"
        else:
            detail = f"model {self.model!r} not available"
        health = Health(endpoint=self.name, ok=present, reachable=True, model_present=present, detail=detail,
                        hint=status["hint"] if not present else "")
        if not probe or not present:
            return health
        try:
            load_s = await self.load()
            health.probe_s, _ = await timed_probe(self)
            decode = await self.chat([{"role": "user", "content": "Count from 1 to 50, comma separated."}],
                                     max_tokens=16, temperature=0.0)
            health.tokens_per_s = decode.timings.tokens_per_s
            health.detail = f"loaded from {self.shared.path} in {load_s:.1f} s"
        except ModelError as exc:
            health.ok = False
            health.detail = str(exc)
            health.hint = status["hint"]
        return health

    async def aclose(self) -> None:
        entry, self._entry = self._entry, None
        if entry is not None and _REGISTRY.release(entry):
            await asyncio.to_thread(entry.unload)
