"""A ChatBackend wrapper that records every call (messages, options, completion, start and end times).

Built through ModelPool's `factory`, so the engine runs its normal code and the bench reads afterwards
exactly what each model call was sent and what the backend reported (cached prompt tokens included).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cadre_lsp.models.base import ChatBackend, Completion, Health, Message


@dataclass
class Call:
    endpoint: str
    messages: list[Message]
    options: dict[str, Any]
    started: float
    finished: float = 0.0
    completion: Completion | None = None

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)

    def since(self, n: int) -> list[Call]:
        return self.calls[n:]


class Recorded:
    """Delegates to the real backend; `inner` stays reachable (e.g. the embedded model's Server)."""

    def __init__(self, inner: ChatBackend, log: CallLog) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.log = log

    async def chat(self, messages: list[Message], **options: Any) -> Completion:
        call = Call(self.name, messages, {k: v for k, v in options.items() if k != "on_token"}, time.perf_counter())
        self.log.calls.append(call)
        call.completion = await self.inner.chat(messages, **options)
        call.finished = time.perf_counter()
        return call.completion

    async def health(self, probe: bool = False) -> Health:
        return await self.inner.health(probe)

    async def aclose(self) -> None:
        await self.inner.aclose()


def recorded_engine(config_path: Path, workspace_root: Path) -> tuple[Any, CallLog]:
    """An Engine over the bench config whose backends all record into one CallLog."""
    from cadre_lsp.models.factory import make_backend
    from cadre_lsp.models.pool import ModelPool
    from cadre_lsp.pipeline import Engine

    from .scripted import load_bench_config

    config = load_bench_config(config_path)
    log = CallLog()
    pool = ModelPool(config, factory=lambda name, cfg: Recorded(make_backend(name, cfg), log))
    return Engine(config, workspace_root=str(workspace_root), pool=pool), log
