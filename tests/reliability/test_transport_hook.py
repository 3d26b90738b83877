"""The pygls internals transport.py depends on are still there: a pygls upgrade fails here, loudly.

`framing()` swaps `pygls.server.run_async` (the read loop pygls' stdio and TCP servers call by that
global name) for `transport.read_loop`. If pygls renames it, imports it differently, calls it with new
arguments, or stops calling it from `start_io`/`start_tcp`, the swap would silently do nothing and the
server would lose its resync after bad headers and its spec error replies (docs/upstream/README.md).
"""

from __future__ import annotations

import inspect
import types as pytypes

import pygls.io_
import pygls.server

from cadre_lsp.lsp.transport import framing, read_loop


def _global_names(code: pytypes.CodeType) -> set[str]:
    """Every name a function (and the functions nested in it) looks up, recursively."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            names |= _global_names(const)
    return names


def test_pygls_servers_still_call_run_async_by_its_module_global() -> None:
    assert hasattr(pygls.server, "run_async"), "pygls.server.run_async is gone: update lsp/transport.py"
    server_cls = pygls.server.JsonRPCServer
    assert "_start_io_async" in _global_names(server_cls.start_io.__code__), "start_io changed its path"
    for method in ("_start_io_async", "start_tcp"):
        fn = getattr(server_cls, method)
        assert fn.__globals__ is vars(pygls.server), f"{method} moved out of pygls.server"
        assert "run_async" in _global_names(fn.__code__), (
            f"pygls.server.JsonRPCServer.{method} no longer calls run_async: the framing hook would do nothing")


def test_read_loop_accepts_every_argument_pygls_passes() -> None:
    ours = inspect.signature(read_loop).parameters
    theirs = inspect.signature(pygls.io_.run_async).parameters
    assert list(theirs) == list(ours), f"pygls' run_async signature changed: {list(theirs)} vs {list(ours)}"


def test_framing_installs_and_restores_the_hook() -> None:
    original = pygls.server.run_async
    with framing():
        assert pygls.server.run_async is read_loop
    assert pygls.server.run_async is original


def test_the_server_enters_framing_around_both_transports() -> None:
    from cadre_lsp.lsp import server

    source = inspect.getsource(server)
    assert source.count("with framing():") >= 2, "lsp/server.py must run start_io and start_tcp inside framing()"
