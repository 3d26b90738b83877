"""The Starlette app: /v1/models, /v1/chat/completions (JSON or SSE), /health.

Handlers stay thin: check the caller, parse the body (shapes.py), run the chat pipeline, shape the
answer. A client that hangs up cancels the pattern task, which cancels its model calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..chat import ChatError, model_names, run_chat
from ..core import ProgressEvent
from . import shapes

if TYPE_CHECKING:
    from ..pipeline import Engine

log = logging.getLogger(__name__)
T = TypeVar("T")
Receive = Callable[[], Awaitable[dict[str, Any]]]


def create_app(engine: Engine) -> Starlette:
    """The API over one Engine (config, model pool); the engine is closed when the app shuts down."""

    def refused(request: Request) -> Response | None:
        token = engine.config.api.token
        given = request.headers.get("authorization", "")
        if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return error("unauthorized", "missing or wrong bearer token (the client's api_key)")
        return None

    async def models(request: Request) -> Response:
        if (r := refused(request)) is not None:
            return r
        return JSONResponse({"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "cadre-lsp"} for m in model_names(engine.config)]})

    async def chat_completions(request: Request) -> Response:
        if (r := refused(request)) is not None:
            return r
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as exc:
            return error("bad_request", f"the request body is not JSON: {exc}")
        try:
            call = shapes.parse_body(body, engine.config)
        except ChatError as exc:
            return error(exc.kind, str(exc), exc.param)
        timeout = engine.config.api.request_timeout_s
        if call.stream:
            return StreamingResponse(_sse(engine, call, request.receive, timeout), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            answer = await _unless_gone(run_chat(engine, call.chat, timeout_s=timeout), request.receive)
        except ChatError as exc:
            return error(exc.kind, str(exc), exc.param)
        except Exception as exc:  # a bug still answers in OpenAI's error shape
            log.exception("chat request failed")
            return error("internal", f"internal error: {type(exc).__name__}: {exc}")
        if answer is None:  # the client hung up; nobody reads this
            return Response(status_code=499)
        return JSONResponse(shapes.completion_json(call, answer))

    async def health(request: Request) -> Response:
        if (r := refused(request)) is not None:
            return r
        pool = engine.pool
        stats = pool.stats_dict()
        roles_of: dict[str, list[str]] = {}
        for role, names in engine.config.roles.items():
            for n in names:
                roles_of.setdefault(n, []).append(role)
        entries = [{"endpoint": h.endpoint, "kind": engine.config.endpoints[h.endpoint].kind,
                    "model": engine.config.endpoints[h.endpoint].model, "roles": roles_of.get(h.endpoint, []),
                    "ok": h.ok, "reachable": h.reachable, "model_present": h.model_present, "detail": h.detail,
                    "hint": h.hint, "stats": stats.get(h.endpoint, {})} for h in await pool.health()]
        ok = all(e["ok"] for e in entries)
        return JSONResponse({"status": "ok" if ok else "degraded", "profile": engine.config.profile,
                             "models": entries}, status_code=200 if ok else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.aclose()

    return Starlette(routes=[
        Route("/v1/models", models),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/health", health),
    ], lifespan=lifespan)


def error(kind: str, message: str, param: str | None = None) -> JSONResponse:
    status, body = shapes.error_body(kind, message, param)
    return JSONResponse(body, status_code=status)


async def _until_gone(receive: Receive) -> None:
    """Returns when the client disconnects (the request body has been read by then)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _unless_gone(work: Awaitable[T], receive: Receive) -> T | None:
    """`work`'s result, or None once the client has gone, after cancelling `work`."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_until_gone(receive))
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return None if task.cancelled() else task.result()


async def _sse(engine: Engine, call: shapes.Call, receive: Receive, timeout: float) -> AsyncIterator[str]:
    """Server-sent events: the answer as it comes, earlier steps as SSE comments (clients skip them)."""
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def on_text(fragment: str) -> None:
        queue.put_nowait(("text", fragment))

    async def progress(ev: ProgressEvent) -> None:
        if ev.tokens_per_s is None:
            queue.put_nowait(("comment", " ".join(ev.message.split())))

    task = asyncio.ensure_future(run_chat(engine, call.chat, on_text=on_text, progress=progress, timeout_s=timeout))
    task.add_done_callback(lambda _t: queue.put_nowait(("done", "")))
    gone = asyncio.ensure_future(_until_gone(receive))
    gone.add_done_callback(lambda _g: task.cancel())
    try:
        yield _data(shapes.chunk_json(call, {"role": "assistant", "content": ""}))
        while (item := await queue.get())[0] != "done":
            kind, value = item
            yield f": {value}\n\n" if kind == "comment" else _data(shapes.chunk_json(call, {"content": value}))
        if task.cancelled():
            return
        try:
            answer = task.result()
        except ChatError as exc:
            yield _data(shapes.error_body(exc.kind, str(exc), exc.param)[1])
            return
        except Exception as exc:  # a bug must still end the stream with an error the client can read
            log.exception("chat stream failed")
            yield _data(shapes.error_body("internal", f"internal error: {type(exc).__name__}: {exc}")[1])
            return
        for chunk in shapes.final_chunks(call, answer):
            yield _data(chunk)
        yield "data: [DONE]\n\n"
    finally:
        gone.cancel()
        task.cancel()


def _data(obj: dict[str, Any]) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"
