"""MLX models in-process through `mlx-lm` (Apple silicon; `mlx[cpu]` elsewhere): the optional `mlx` extra.

Generation in mlx-lm is a blocking Python generator, so each call runs in its own worker thread that
checks a cancel flag between tokens: cancelling the awaiting task (or a timeout) stops generation at the
next token. Tokens travel back to the event loop through a queue.

A model is loaded lazily, once per process, and shared by every endpoint naming the same path or repo
(a module-level cache keyed on it, guarded by a lock); one lock per model serialises generation, since
one set of weights serves one sequence at a time. The cache entry is dropped when the last backend
using it is closed.

Limits: `schema` raises UnsupportedFeature (mlx-lm has no constrained decoding; the caller can fall back
to prompting and parsing). `tools` are handed to the chat template, and calls come back as text in the
model's own format (e.g. Hermes `<tool_call>` blocks) for the toolcalls parser. From `cfg.options`, the
sampler settings top_p, min_p, top_k and min_tokens_to_keep are used. `n_ctx`/`n_threads` do not apply.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlx.core as mx
from mlx_lm import load, stream_generate
from mlx_lm.sample_utils import make_sampler

from ..config.schema import EndpointConfig
from .base import (
    BadResponse,
    Completion,
    Health,
    Message,
    ModelError,
    ModelNotFound,
    ModelTimeout,
    Timings,
    TokenCallback,
    UnsupportedFeature,
    Usage,
    emit,
)
from .probe import probe_into

SAMPLER_OPTIONS = ("top_p", "min_p", "top_k", "min_tokens_to_keep")


@dataclass
class _Shared:
    """One model as loaded in this process, and who uses it."""

    key: str
    load_lock: threading.Lock = field(default_factory=threading.Lock)
    generate_lock: threading.Lock = field(default_factory=threading.Lock)
    model: Any = None
    tokenizer: Any = None
    users: int = 0


_CACHE: dict[str, _Shared] = {}
_CACHE_LOCK = threading.Lock()
_WORKERS: dict[threading.Thread, threading.Event] = {}
"""Live generation threads and their cancel flags, so interpreter exit can stop them first."""


def _model_key(model: str) -> str:
    """Existing local directories are keyed by their resolved path; anything else is a Hugging Face repo id."""
    p = Path(model).expanduser()
    return str(p.resolve()) if p.exists() else model


def _looks_local(model: str) -> bool:
    return model.startswith(("/", "~", "./", "../")) or model.count("/") > 1


def _is_cached(key: str) -> bool:
    """On disk already: a local directory with config.json, or a repo in the Hugging Face cache."""
    p = Path(key)
    if p.is_dir():
        return (p / "config.json").exists()
    if _looks_local(key) or p.exists():
        return False
    from huggingface_hub import try_to_load_from_cache  # a dependency of mlx-lm

    try:
        return isinstance(try_to_load_from_cache(key, "config.json"), str)
    except ValueError:  # not a valid repo id
        return False


def _stop_workers() -> None:
    """mlx aborts the process if a thread is mid-evaluation at exit: cancel and wait for them first."""
    for thread, cancel in list(_WORKERS.items()):
        cancel.set()
        thread.join(timeout=5)


atexit.register(_stop_workers)


def _clean_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat templates want string contents."""
    return [{**m, "content": m.get("content") or ""} for m in messages]


class _StopFilter:
    """Cuts the text at the first stop string, holding back a tail that might be the start of one."""

    def __init__(self, stop: list[str] | None) -> None:
        self.stop = [s for s in stop or [] if s]
        self.hold = max((len(s) for s in self.stop), default=1) - 1
        self.text = ""
        self.sent = 0

    def feed(self, piece: str) -> tuple[str, bool]:
        """Returns the text now safe to emit, and whether a stop string was reached."""
        self.text += piece
        hits = [i for i in (self.text.find(s, max(0, self.sent - self.hold)) for s in self.stop) if i >= 0]
        if hits:
            self.text = self.text[:min(hits)]
            return self.flush(), True
        safe = max(self.sent, len(self.text) - self.hold)
        out, self.sent = self.text[self.sent:safe], safe
        return out, False

    def flush(self) -> str:
        out, self.sent = self.text[self.sent:], len(self.text)
        return out


class MLXBackend:
    """A ChatBackend for one mlx-lm model (a local directory or a Hugging Face repo id)."""

    def __init__(self, name: str, cfg: EndpointConfig) -> None:
        if not cfg.model:
            raise ModelError(f"endpoint {name!r}: kind \"mlx\" needs `model = \"path or org/repo\"`", endpoint=name)
        self.name = name
        self.model = cfg.model
        self.cfg = cfg
        self._key = _model_key(cfg.model)
        with _CACHE_LOCK:
            self._shared = _CACHE.setdefault(self._key, _Shared(self._key))
            self._shared.users += 1
        self._closed = False

    @property
    def _where(self) -> str:
        return f"mlx endpoint {self.name!r} ({self.model})"

    def _fix(self) -> str:
        if Path(self._key).exists() or _looks_local(self.model):
            return "point `model` at an mlx model directory (config.json, *.safetensors, tokenizer files)"
        return f"download it with `hf download {self.model}`"

    @property
    def loaded(self) -> bool:
        return self._shared.model is not None

    # -- worker side (runs in a thread) -----------------------------------------------------------
    def _load(self) -> tuple[Any, Any]:
        s = self._shared
        with s.load_lock:
            if s.model is None:
                if _looks_local(self.model) and not Path(self._key).exists():
                    raise ModelNotFound(f"{self._where}: no such directory {self.model}", endpoint=self.name)
                try:
                    s.model, s.tokenizer = load(self._key)
                except OSError as exc:  # includes huggingface_hub's offline / not-found errors
                    raise ModelNotFound(f"{self._where}: cannot find the model ({type(exc).__name__}: {exc}); "
                                        f"{self._fix()}", endpoint=self.name) from exc
                except Exception as exc:
                    raise ModelError(f"{self._where}: cannot load ({type(exc).__name__}: {exc})",
                                     endpoint=self.name) from exc
            return s.model, s.tokenizer

    def _generate(self, messages: list[Message], tools: list[dict[str, Any]] | None, max_tokens: int,
                  temperature: float, stop: list[str] | None, cancel: threading.Event,
                  push: Callable[[str], None]) -> Completion | None:
        t0 = time.perf_counter()
        model, tokenizer = self._load()
        opts = {k: v for k, v in self.cfg.options.items() if k in SAMPLER_OPTIONS}
        with self._shared.generate_lock:
            if cancel.is_set():
                return None
            if tokenizer.has_chat_template:
                kw = {"tools": tools} if tools else {}
                prompt = tokenizer.apply_chat_template(_clean_messages(messages), add_generation_prompt=True,
                                                       tokenize=True, **kw)
            else:  # a base model: a plain transcript
                lines = [f"{m['role']}: {m.get('content') or ''}" for m in messages]
                prompt = tokenizer.encode("\n".join([*lines, "assistant:"]))
            stops = _StopFilter(stop)
            first: float | None = None
            last = None
            finish: str | None = None
            gen = stream_generate(model, tokenizer, prompt, max_tokens=max_tokens,
                                  sampler=make_sampler(temperature, **opts))
            try:
                for r in gen:
                    if cancel.is_set():
                        return None
                    last = r
                    out, stopped = stops.feed(r.text)
                    if out:
                        if first is None:
                            first = time.perf_counter() - t0
                        push(out)
                    if stopped:
                        finish = "stop"
                        break
                    finish = r.finish_reason
            finally:
                gen.close()
            if (tail := stops.flush()):
                push(tail)
        total = time.perf_counter() - t0
        return Completion(
            text=stops.text,
            usage=Usage(prompt_tokens=last.prompt_tokens if last else len(prompt),
                        completion_tokens=last.generation_tokens if last else 0),
            timings=Timings(total_s=total, first_token_s=first,
                            prompt_tokens_per_s=last.prompt_tps if last else None,
                            tokens_per_s=last.generation_tps if last else None),
            model=self.model, endpoint=self.name, finish_reason=finish)

    # -- event-loop side --------------------------------------------------------------------------
    async def chat(self, messages: list[Message], *, tools: list[dict[str, Any]] | None = None,
                   schema: dict[str, Any] | None = None, max_tokens: int = 512, temperature: float = 0.2,
                   stop: list[str] | None = None, on_token: TokenCallback | None = None) -> Completion:
        """Generate in a worker thread; fragments reach `on_token` as they are decoded."""
        if schema is not None:
            raise UnsupportedFeature(f"{self._where}: mlx-lm cannot constrain output to a JSON schema",
                                     endpoint=self.name)
        if self._closed:
            raise ModelError(f"{self._where}: backend is closed", endpoint=self.name)
        try:
            return await asyncio.wait_for(self._chat(messages, tools, max_tokens, temperature, stop, on_token),
                                          self.cfg.timeout_s)
        except asyncio.TimeoutError:
            raise ModelTimeout(f"{self._where}: no complete answer within {self.cfg.timeout_s:g}s",
                               endpoint=self.name) from None

    async def _chat(self, messages: list[Message], tools: list[dict[str, Any]] | None, max_tokens: int,
                    temperature: float, stop: list[str] | None, on_token: TokenCallback | None) -> Completion:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()

        def send(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is gone: nobody is listening any more
                cancel.set()

        def work() -> None:
            try:
                result = self._generate(messages, tools, max_tokens, temperature, stop, cancel,
                                        lambda piece: send("token", piece))
            except ModelError as exc:
                outcome: tuple[str, Any] = ("error", exc)
            except Exception as exc:
                err = BadResponse(f"{self._where}: generation failed ({type(exc).__name__}: {exc})",
                                  endpoint=self.name, transient=False)
                err.__cause__ = exc
                outcome = ("error", err)
            else:
                outcome = ("done", result)
            finally:
                mx.clear_streams()  # mlx needs each thread to drop its streams before it ends
                _WORKERS.pop(threading.current_thread(), None)
            send(*outcome)

        thread = threading.Thread(target=work, name=f"mlx-{self.name}", daemon=True)
        _WORKERS[thread] = cancel
        thread.start()
        try:
            while True:
                kind, value = await queue.get()
                if kind == "token":
                    await emit(on_token, value)
                elif kind == "error":
                    raise value
                else:
                    return value
        finally:
            cancel.set()  # a no-op after "done"; after a cancel or an error it stops the worker

    # -- health -------------------------------------------------------------------------------------
    async def health(self, probe: bool = False) -> Health:
        """In-process, so always reachable; present when on disk; probe=True loads it and times one token."""
        h = Health(endpoint=self.name, ok=False, reachable=True, model_present=self.loaded or _is_cached(self._key))
        if not h.model_present:
            h.detail = f"model {self.model} is not on disk"
            h.hint = self._fix()
            return h
        h.ok = True
        h.detail = f"{self.model} " + ("loaded" if self.loaded else "on disk (loads on first use)")
        if probe:
            await probe_into(h, self)
        return h

    async def aclose(self) -> None:
        """Stop sharing the model; the last backend to close lets it be freed."""
        if self._closed:
            return
        self._closed = True
        with _CACHE_LOCK:
            self._shared.users -= 1
            if self._shared.users <= 0 and _CACHE.get(self._key) is self._shared:
                del _CACHE[self._key]
