"""One loaded model per model file: endpoints naming the same file share it, counted by users.

The in-process backend (embedded.py) shares a llama.cpp Server this way and the hosted one (hosted.py)
a model host process; both register here so "which file is this model" and "who still uses it" are
answered once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from ..config.schema import EndpointConfig
from . import bundled
from .bundled import BUNDLED, cached_path, is_gguf_path

_log = logging.getLogger(__name__)


class SharedEntry(Protocol):
    key: str
    users: int

    def want(self, cfg: EndpointConfig) -> None: ...


E = TypeVar("E", bound=SharedEntry)


def model_key(model: str) -> str:
    """Endpoints share an entry when their model names resolve to the same file."""
    if model in BUNDLED:
        return str(cached_path(model).resolve())
    if is_gguf_path(model):
        return str(Path(model).expanduser().resolve())
    return model


class SharedByFile(Generic[E]):
    """Entries by model file; `lock` also guards whatever the owner keeps beside them."""

    def __init__(self, make: Callable[[str, str], E]) -> None:
        self.entries: dict[str, E] = {}
        self.lock = threading.Lock()
        self._make = make

    def acquire(self, cfg: EndpointConfig) -> E:
        """The entry for cfg's model file (made on first use), with one more user."""
        key = model_key(cfg.model)
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                entry = self.entries[key] = self._make(key, cfg.model)
            entry.users += 1
            entry.want(cfg)
            return entry

    def release(self, entry: E) -> bool:
        """Drop one user; returns True when it was the last (the caller then unloads or stops it)."""
        with self.lock:
            entry.users -= 1
            if entry.users > 0:
                return False
            if self.entries.get(entry.key) is entry:
                del self.entries[entry.key]
            return True

    def values(self) -> list[E]:
        with self.lock:
            return list(self.entries.values())


def want_speculative(model: str, current: str, asked: str) -> str:
    """Endpoints sharing one model file share its llama.cpp Server, so one speculative setting: the
    first one that is not "off" wins (speculation changes speed, not what the model means to say), a
    second different one is logged."""
    if asked == "off" or asked == current:
        return current
    if current != "off":
        _log.warning("model %s: speculative = %r already chosen by another endpoint; ignoring %r", model,
                    current, asked)
        return current
    return asked


def resolve_speculative(value: str) -> str:
    """EndpointConfig.speculative with a draft model's name turned into its file (joined if needed)."""
    if value.startswith("draft:"):
        return f"draft:{bundled.ensure_model(value[len('draft:'):].strip())}"
    return value
