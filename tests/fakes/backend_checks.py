"""Checks the HTTP backend tests (Ollama, OpenAI-compatible) share, run against their fake servers.

Both backends owe the same behaviour here, so the steps and assertions are written once: a port nobody
listens on (for "unreachable server" errors), and cancellation closing the stream at the server.
"""

from __future__ import annotations

import asyncio
import gc
import socket

import pytest

from cadre_lsp.models.base import ChatBackend, Message

from .http_fake import FakeHTTPServer


def free_port() -> int:
    """A local port that nothing listens on (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def check_cancel_closes_stream(srv: FakeHTTPServer, backend: ChatBackend, messages: list[Message]) -> None:
    """Cancelling the awaiting task mid-stream must close the HTTP stream itself: the fake sees the
    client hang up long before its 200 slow tokens are all sent."""
    srv.push(srv.reply_type(" ".join(["tok"] * 200), delay_s=0.05))
    first = asyncio.Event()
    task = asyncio.create_task(backend.chat(messages, on_token=lambda _: first.set()))
    await asyncio.wait_for(first.wait(), 10)
    gc.disable()  # the stream must be closed by the backend itself, not by a garbage collector later
    try:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert srv.disconnected.wait(10), "the fake never saw the client hang up"
    finally:
        gc.enable()
    rec = srv.chat_requests()[-1]
    assert rec.disconnected and not rec.finished, f"stream not cut short ({rec.disconnected=}, {rec.finished=})"
    assert rec.chunks_sent < 200, f"all {rec.chunks_sent} chunks went out"
