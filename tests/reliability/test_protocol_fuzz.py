"""Protocol fuzzing: malformed, mistyped and out-of-order JSON-RPC against the real server over stdio.

After every case the server must still be running (no crash), must have answered every request it was
sent (no hang), and must answer a real request exactly as before the case (no wrong answer): the probe
is a codeAction listing on a document no case touches, compared with the listing taken at the start.
Cases: hand-written framing faults (headers, JSON, ids, lying lengths, multi-MB messages), the LSP
lifecycle out of order, a cancel storm over running jobs, and hypothesis-generated params (arbitrary
JSON, or the right shape with hostile values) sent to the server's real methods as requests and as
notifications. CADRE_SOAK=1 raises the generated cases from 250 to 5,000.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsp.harness import HOVER, SHOP, Workspace, default_script, exchange
from reliability.conftest import SOAK, scale
from reliability.rawrpc import Crash, Hang, RawServer, Reply, frame

NAME = "protocol fuzzing"
PROBE_RANGE = {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}}


@dataclass
class Box:
    """The server under fuzz, restarted when a case kills it (so hypothesis can go on and shrink)."""

    ws: Workspace
    config: Path
    server: RawServer | None = None
    probe_uri: str = ""
    target_uri: str = ""
    ghost_uri: str = ""
    baseline: Any = None
    counts: dict[str, int] = field(default_factory=lambda: {"tried": 0, "crashes": 0, "hangs": 0,
                                                             "wrong_answers": 0, "error_replies": 0})

    def start(self) -> RawServer:
        self.server = RawServer(self.ws.root, self.ws.home, self.config)
        self.server.initialize()
        self.server.open(self.probe_uri, SHOP)
        self.server.open(self.target_uri, SHOP)
        return self.server

    def live(self) -> RawServer:
        if self.server is None or not self.server.alive:
            if self.server is not None:
                self.server.stop()
            self.start()
        assert self.server is not None
        return self.server

    def probe(self) -> Any:
        reply = self.live().request("textDocument/codeAction", {
            "textDocument": {"uri": self.probe_uri}, "range": PROBE_RANGE, "context": {"diagnostics": []}})
        assert reply.error is None, reply.error
        return reply.result

    def check(self, what: str, case: Callable[[RawServer], None]) -> None:
        """Run one case, then require: alive, every request answered, the probe answered as before."""
        server = self.live()
        self.counts["tried"] += 1
        try:
            case(server)
            answer = self.probe()
        except Crash:
            self.counts["crashes"] += 1
            raise AssertionError(f"{what}: the server crashed\n{server.stderr_text()[-3000:]}") from None
        except Hang:
            self.counts["hangs"] += 1
            raise AssertionError(f"{what}: a request was never answered") from None
        if answer != self.baseline:
            self.counts["wrong_answers"] += 1
            raise AssertionError(f"{what}: the probe's answer changed: {json.dumps(answer)[:400]}")

    def expect_error(self, server: RawServer, reply: Reply, code: int | None = None) -> None:
        assert reply.error is not None, f"expected an error reply, got {reply.result!r}"
        assert code is None or reply.error.get("code") == code, reply.error
        self.counts["error_replies"] += 1


def fuzz_script() -> list[dict[str, Any]]:
    return [*default_script(), exchange(HOVER, reply="A helper."), exchange(reply="```python\npass\n```")]


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    tmp = tmp_path_factory.mktemp("fuzz")
    ws = Workspace(root=tmp / "project", home=tmp / "home")
    ws.root.mkdir()
    ws.home.mkdir()
    b = Box(ws, ws.configure(fuzz_script(), latency_s=0.05))
    b.probe_uri = ws.write("probe.py", SHOP)
    b.target_uri = ws.write("target.py", SHOP)
    b.ghost_uri = (ws.root / "ghost.py").as_uri()
    b.start()
    b.baseline = b.probe()
    assert b.baseline and any("Fix" in a["title"] for a in b.baseline), b.baseline
    yield b
    assert b.server is not None
    status = b.server.stop()
    assert status == 0, f"exit status {status} after shutdown + exit"


def record(figure: Callable[..., None], b: Box, before: dict[str, int]) -> None:
    figure(NAME, **{k: v - before.get(k, 0) for k, v in b.counts.items()})


# -- hand-written cases ----------------------------------------------------------------------------------

def _hover(uri: str, line: Any = 0, character: Any = 0) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def framing_cases(b: Box) -> list[tuple[str, Callable[[RawServer], None]]]:
    """(name, case) pairs; a case sends its bytes and checks the reply it is owed, if any."""

    def raw(data: bytes, *, sacrificial: bool = False) -> Callable[[RawServer], None]:
        def case(s: RawServer) -> None:
            s.send_bytes(data)
            if sacrificial:  # a lying length legitimately swallows (part of) the next message
                s.notify("$/cadreFuzzPadding", {"pad": "x" * 64})
        return case

    def owed(obj: dict[str, Any], code: int) -> Callable[[RawServer], None]:
        """Send a request-shaped object with id `fuzz-N`; the reply must be the error `code`."""
        def case(s: RawServer) -> None:
            msg_id = f"fuzz-{s.next_id()}"
            s._pending.add(msg_id)
            s.send({**obj, "id": msg_id})
            b.expect_error(s, s.wait_reply(msg_id), code)
        return case

    def request(method: str, params: Any, code: int | None = None, ok: bool = False) -> Callable[[RawServer], None]:
        def case(s: RawServer) -> None:
            reply = s.request(method, params)
            if ok:
                assert reply.error is None, reply.error
            else:
                b.expect_error(s, reply, code)
        return case

    def stray_parse_error(data: bytes) -> Callable[[RawServer], None]:
        def case(s: RawServer) -> None:
            seen = len(s.stray_replies)
            s.send_bytes(data)
            b.probe()  # the probe's answer comes after the parse error's
            assert any(r.get("error", {}).get("code") == -32700 for r in s.stray_replies[seen:]), s.stray_replies
        return case

    body = json.dumps({"jsonrpc": "2.0", "method": "$/cadreFuzz", "params": {}}).encode()
    big_text = "x = 1\n" * 900_000  # 5.4 MB
    big_uri = (b.ws.root / "big.py").as_uri()

    def big_document(s: RawServer) -> None:
        s.open(big_uri, big_text)
        reply = s.request("textDocument/codeAction", {"textDocument": {"uri": big_uri}, "range": {
            "start": {"line": 899_990, "character": 0}, "end": {"line": 899_999, "character": 5}},
            "context": {"diagnostics": []}}, timeout=60)
        assert reply.error is None and reply.result, reply
        s.notify("textDocument/didClose", {"textDocument": {"uri": big_uri}})

    return [
        ("invalid JSON", stray_parse_error(b"Content-Length: 5\r\n\r\n{bad}")),
        ("truncated JSON", stray_parse_error(b'Content-Length: 12\r\n\r\n{"jsonrpc":"')),
        ("invalid UTF-8", stray_parse_error(b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc")),
        ("non-numeric Content-Length", raw(b"Content-Length: abc\r\n\r\n{}")),
        ("negative Content-Length", raw(b"Content-Length: -5\r\n\r\n{}")),
        ("no header at all", raw(body + b"\r\n")),
        ("garbage line then a message", raw(b"hello world\r\n" + frame({"jsonrpc": "2.0", "method": "$/x"}))),
        ("lower-case header, extra headers", raw(b"content-length: %d\r\nContent-Type: application/"
                                                 b"vscode-jsonrpc; charset=utf-8\r\nX-Other: 1\r\n\r\n%s"
                                                 % (len(body), body))),
        ("blank lines between frames", raw(b"\r\n\r\n\n" + frame({"jsonrpc": "2.0", "method": "$/x"}))),
        ("Content-Length too small", raw(frame({"jsonrpc": "2.0", "method": "$/x", "params": [1, 2, 3]})[:-7],
                                         sacrificial=True)),
        ("Content-Length too large", raw(b"Content-Length: %d\r\n\r\n%s" % (len(body) + 30, body),
                                         sacrificial=True)),
        ("absurd Content-Length (100 GB)", raw(b"Content-Length: 100000000000\r\n\r\n" + body + b"\r\n")),
        ("JSON array (batch)", stray_or_invalid(b"[1, 2]")),
        ("JSON number", stray_or_invalid(b"42")),
        ("JSON string", stray_or_invalid(b'"hello"')),
        ("jsonrpc 1.0 request", owed({"jsonrpc": "1.0", "method": "textDocument/hover", "params": {}}, -32600)),
        ("no jsonrpc field", owed({"method": "textDocument/hover", "params": {}}, -32600)),
        ("method is a number", owed({"jsonrpc": "2.0", "method": 7}, -32600)),
        ("id is an object", raw(frame({"jsonrpc": "2.0", "id": {"a": 1}, "method": "textDocument/hover"}))),
        ("id is a bool", raw(frame({"jsonrpc": "2.0", "id": True, "method": "shutdown"}))),
        ("response to an id never sent", raw(frame({"jsonrpc": "2.0", "id": 987654, "result": {"x": 1}}))),
        ("error response to an id never sent", raw(frame({"jsonrpc": "2.0", "id": "zz", "error": {
            "code": 1, "message": "?"}}))),
        ("params a string", request("textDocument/hover", "nope", -32602)),
        ("params of wrong types", request("textDocument/hover", _hover(5, "a", None), -32602)),
        ("params missing", request("textDocument/codeAction", None, -32602)),
        ("negative position", request("textDocument/hover", _hover(b.target_uri, -1, -1), -32602)),
        ("position past the end", request("textDocument/hover", _hover(b.target_uri, 10**6, 10**6), ok=True)),
        ("position beyond uint32", request("textDocument/hover", _hover(b.target_uri, 2**40, 0), -32602)),
        ("reversed range", request("textDocument/codeAction", {"textDocument": {"uri": b.target_uri}, "range": {
            "start": {"line": 9, "character": 4}, "end": {"line": 1, "character": 0}},
            "context": {"diagnostics": []}}, ok=True)),
        ("hover on an unopened document", request("textDocument/hover", _hover(b.ghost_uri), ok=True)),
        ("codeAction on an unopened document", request("textDocument/codeAction", {
            "textDocument": {"uri": b.ghost_uri}, "range": PROBE_RANGE, "context": {"diagnostics": []}}, ok=True)),
        ("didChange for an unopened document", raw(frame({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": b.ghost_uri, "version": 3}, "contentChanges": [
                {"range": PROBE_RANGE, "text": "boo"}]}}))),
        ("didChange past the end", raw(frame({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": b.target_uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": 500, "character": 9}, "end": {"line": 900, "character": 0}},
                 "text": "# appended\n"}]}}))),
        ("didClose of an unopened document", raw(frame({"jsonrpc": "2.0", "method": "textDocument/didClose",
            "params": {"textDocument": {"uri": b.ghost_uri}}}))),
        ("fix on an unopened, missing file", request("workspace/executeCommand", {"command": "cadre.fix",
            "arguments": [{"uri": b.ghost_uri, "range": PROBE_RANGE}]}, -32602)),
        ("fix with a reversed range", request("workspace/executeCommand", {"command": "cadre.fix",
            "arguments": [{"uri": b.target_uri, "range": {"start": {"line": 8, "character": 0},
                                                          "end": {"line": 3, "character": 0}}}]}, ok=True)),
        ("unknown command", request("workspace/executeCommand", {"command": "cadre.nope"}, None)),
        ("unknown method, request", request("cadre/doesNotExist", {"a": 1}, -32601)),
        ("unknown method, notification", raw(frame({"jsonrpc": "2.0", "method": "cadre/doesNotExist"}))),
        ("$/ method, request", request("$/cadreUnknown", None, -32601)),
        ("cancel for an unknown id", raw(frame({"jsonrpc": "2.0", "method": "$/cancelRequest",
                                               "params": {"id": 424242}}))),
        ("cancel with bad params", raw(frame({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": "x"}))),
        ("progress cancel, unknown token", raw(frame({"jsonrpc": "2.0", "method": "window/workDoneProgress/cancel",
                                                     "params": {"token": "no-such-token"}}))),
        ("5 MB notification of an unknown method", raw(frame({"jsonrpc": "2.0", "method": "cadre/big",
                                                              "params": {"blob": "y" * 5_000_000}}))),
        ("5 MB request with params of the wrong shape", request("textDocument/hover", {"blob": "z" * 5_000_000},
                                                                 -32602)),
        ("5 MB document opened, listed, closed", big_document),
    ]


def stray_or_invalid(body: bytes) -> Callable[[RawServer], None]:
    """A JSON value that is not a message object: answered with an error whose id is null."""
    def case(s: RawServer) -> None:
        seen = len(s.stray_replies)
        s.send_bytes(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        s.request("textDocument/codeAction", {"textDocument": {"uri": "file:///x.py"}, "range": PROBE_RANGE,
                                              "context": {"diagnostics": []}})
        assert any(r.get("error", {}).get("code") == -32600 for r in s.stray_replies[seen:]), s.stray_replies
    return case


def test_framing_and_malformed_messages(box: Box, figure: Callable[..., None]) -> None:
    before = dict(box.counts)
    failures = []
    for name, case in framing_cases(box):
        try:
            box.check(name, case)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    record(figure, box, before)
    assert not failures, "\n".join(failures)


def test_cancel_storm_over_running_jobs(box: Box, figure: Callable[..., None]) -> None:
    """30 jobs, then 600 cancels of every kind (known and unknown ids, tokens, jobs): all answered."""
    before = dict(box.counts)
    rng = random.Random(11)

    def storm(s: RawServer) -> None:
        jobs = []
        for line in range(30):
            reply = s.request("workspace/executeCommand", {"command": "cadre.fix", "arguments": [{
                "uri": box.target_uri, "range": {"start": {"line": line % 24, "character": 0},
                                                 "end": {"line": line % 24, "character": line % 7}}}]})
            if reply.error is None:
                jobs.append(reply.result["jobId"])
        assert jobs
        in_flight = [s.request_nowait("textDocument/hover", _hover(box.target_uri, n % 24, 4)) for n in range(20)]
        for n in range(600):
            kind = n % 4
            if kind == 0:
                s.notify("$/cancelRequest", {"id": rng.choice([*in_flight, rng.randint(0, 10**9), "str-id"])})
            elif kind == 1:
                s.notify("window/workDoneProgress/cancel", {"token": rng.choice(["nope", str(n), n])})
            elif kind == 2:
                s.request_nowait("workspace/executeCommand", {"command": "cadre.cancel",
                                                              "arguments": [{"jobId": rng.choice(jobs)}]})
            else:
                s.request_nowait("workspace/executeCommand", {"command": "cadre.cancel"})
        for msg_id in in_flight:  # answered (a result or "cancelled"), never left waiting
            s.wait_reply(msg_id)
        with s._cond:  # every cadre.cancel request above got its answer too
            s._cond.wait_for(lambda: not s._pending - set(s.replies), 30)
            assert not s._pending - set(s.replies), f"unanswered: {sorted(map(str, s._pending))[:5]}"
        status = s.request("workspace/executeCommand", {"command": "cadre.status"})
        deadline_jobs = status.result["jobs"]
        assert all(j["jobId"] in jobs for j in deadline_jobs)

    box.check("cancel storm", storm)
    box.counts["tried"] += 650 - 1  # the storm's messages, beyond the one case
    record(figure, box, before)


def test_lifecycle_out_of_order(tmp_path: Path, figure: Callable[..., None]) -> None:
    """Requests before initialize, a second initialize, requests after shutdown: all answered with errors."""
    root, home = tmp_path / "project", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    ws = Workspace(root, home)
    uri = ws.write("shop.py", SHOP)
    s = RawServer(root, home, ws.configure())
    tried = 0
    try:
        for method, params in [("textDocument/hover", _hover(uri)), ("workspace/executeCommand",
                                                                     {"command": "cadre.status"}),
                               ("shutdown", None)]:
            reply = s.request(method, params)
            tried += 1
            assert reply.error is not None and reply.error["code"] == -32002, (method, reply)
        s.open(uri, SHOP)  # a notification before initialize is dropped
        tried += 1
        assert s.initialize().error is None
        again = s.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        tried += 1
        assert again.error is not None and again.error["code"] == -32600, again
        listing = s.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": PROBE_RANGE,
                                                        "context": {"diagnostics": []}})
        assert listing.error is None and listing.result
        assert s.request("shutdown").error is None
        for method, params in [("textDocument/hover", _hover(uri)), ("shutdown", None)]:
            reply = s.request(method, params)
            tried += 1
            assert reply.error is not None and reply.error["code"] == -32600, (method, reply)
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                           "text": "x"}})
        s.notify("exit")
        tried += 2
        assert s.proc.wait(15) == 0
    finally:
        s.stop()
    figure(NAME, tried=tried, crashes=0, hangs=0)


# -- generated cases ----------------------------------------------------------------------------------

KEYS = ["textDocument", "uri", "range", "start", "end", "line", "character", "position", "context",
        "diagnostics", "command", "arguments", "version", "contentChanges", "text", "id", "token", "only",
        "data", "languageId", "jobId", "pattern", "instruction", "settings", "title"]
REQUESTS = ["textDocument/hover", "textDocument/codeAction", "codeAction/resolve", "workspace/executeCommand",
            "textDocument/completion", "textDocument/definition", "cadre/unknown", "workspace/symbol"]
NOTIFICATIONS = ["textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
                 "textDocument/didSave", "$/cancelRequest", "window/workDoneProgress/cancel", "$/setTrace",
                 "workspace/didChangeWorkspaceFolders", "cadre/unknown", "$/unknown"]
COMMANDS = ["cadre.fix", "cadre.explain", "cadre.implement", "cadre.review", "cadre.cancel", "cadre.status",
            "cadre.unknown"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6),
                                                                inner, max_size=4),
    max_leaves=16)
numbers = st.one_of(st.integers(0, 40), st.integers(-3, 2**31 + 5), st.sampled_from([2**32 - 1, 2**32, -2**31]),
                    st.floats(allow_nan=False, allow_infinity=False), json_values)


def shaped(box: Box) -> st.SearchStrategy[dict[str, Any]]:
    """The right keys for the server's methods, with hostile values in them."""
    uris = st.sampled_from([box.target_uri, box.ghost_uri, "file:///", "untitled:Untitled-1", "",
                            "file:///../../etc/passwd", "http://example.invalid/x.py"]) | st.text(max_size=12)
    pos = st.fixed_dictionaries({"line": numbers, "character": numbers})
    rng = st.fixed_dictionaries({"start": pos, "end": pos})
    doc = st.fixed_dictionaries({"uri": uris}, optional={"version": numbers})
    change = st.fixed_dictionaries({"text": st.text(max_size=30)}, optional={"range": rng})
    args = st.fixed_dictionaries({"uri": uris, "range": rng}, optional={
        "version": numbers, "pattern": st.text(max_size=8) | json_values, "instruction": st.text(max_size=30),
        "jobId": st.text(max_size=8)})
    return st.one_of(
        st.fixed_dictionaries({"textDocument": doc, "position": pos}),
        st.fixed_dictionaries({"textDocument": doc, "range": rng, "context": st.fixed_dictionaries(
            {"diagnostics": st.lists(json_values, max_size=2)}, optional={"only": json_values})}),
        st.fixed_dictionaries({"textDocument": doc, "contentChanges": st.lists(change, max_size=3)}),
        st.fixed_dictionaries({"textDocument": st.fixed_dictionaries({
            "uri": st.just(box.ghost_uri) | uris, "languageId": st.sampled_from(["python", "", "cobol"]),
            "version": numbers, "text": st.text(max_size=200)})}),
        st.fixed_dictionaries({"command": st.sampled_from(COMMANDS) | st.text(max_size=10)},
                              optional={"arguments": st.lists(args | json_values, max_size=2)}),
        st.fixed_dictionaries({"id": numbers}),
        st.fixed_dictionaries({"token": numbers}),
        st.fixed_dictionaries({"title": st.text(max_size=10)}, optional={"data": json_values}),
    )


def messages(box: Box) -> st.SearchStrategy[tuple[str, Any, bool]]:
    method = st.sampled_from(REQUESTS + NOTIFICATIONS)
    params = st.one_of(json_values, shaped(box))
    return st.tuples(method, params, st.booleans())


def test_generated_messages(box: Box, figure: Callable[..., None]) -> None:
    """Hypothesis: real method names with arbitrary or hostile params, as requests and notifications.
    The CI run is derandomized (the same cases every time); the soak run explores fresh ones."""
    before = dict(box.counts)

    @settings(max_examples=scale(250, 5000), deadline=None, derandomize=not SOAK,
              suppress_health_check=list(HealthCheck))
    @given(msg=messages(box))
    def run(msg: tuple[str, Any, bool]) -> None:
        method, params, as_request = msg

        def case(s: RawServer) -> None:
            if as_request:
                reply = s.request(method, params, timeout=5)
                if reply.error is not None:
                    assert isinstance(reply.error.get("code"), int), reply.error
                    box.counts["error_replies"] += 1
            else:
                s.notify(method, params)
            if method in ("textDocument/didClose", "textDocument/didOpen") and isinstance(params, dict):
                s.open(box.target_uri, SHOP)  # keep the target open (and at a known text) for later cases

        box.check(f"{method} {json.dumps(params)[:300]} (request={as_request})", case)

    try:
        run()
    finally:
        record(figure, box, before)
