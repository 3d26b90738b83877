"""The API as a client meets it: uvicorn on an ephemeral local port in a thread, the real `openai`
client, scripted models behind (the scripted backend records each request, and whether it was
cancelled, for the tests to inspect)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest
import uvicorn

from cadre_lsp.api import create_app
from cadre_lsp.pipeline import Engine
from fakes.scripted_workspace import Workspace, requests_of, ws  # noqa: F401  (ws is a fixture)


@dataclass
class ApiServer:
    engine: Engine
    url: str

    def client(self, api_key: str = "x", **kw: Any) -> openai.OpenAI:
        """No retries: a test sees the first answer, and a 5xx is not silently repeated."""
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=api_key, max_retries=0, **kw)

    def requests(self, endpoint: str = "s") -> list[dict[str, Any]]:
        return requests_of(self.engine, endpoint)


def wait_for(cond: Callable[[], bool], what: str, limit_s: float = 10.0) -> None:
    """Wait for something the server does on its own thread; the limit only bounds a broken run."""
    end = time.monotonic() + limit_s
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


@pytest.fixture
def serve(ws: Workspace) -> Iterator[Callable[..., ApiServer]]:  # noqa: F811
    """serve(exchanges, extra=TOML, **endpoint options) -> a running ApiServer on scripted endpoint "s"."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(exchanges: list[dict[str, Any]], *, extra: str = "", **endpoint: Any) -> ApiServer:
        engine = ws.engine({"s": {"exchanges": exchanges, "model": "scripted-model", **endpoint}}, extra=extra)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(engine), log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread))
        wait_for(lambda: server.started, "uvicorn started")
        return ApiServer(engine, f"http://127.0.0.1:{sock.getsockname()[1]}")

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(10)
