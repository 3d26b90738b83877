"""pygls 2.1: one header line that is not exactly `Content-Length: N\\r\\n` makes the server deaf for good.

Run: python repro_deaf_after_bad_header.py   (needs only pygls; starts a bare pygls LanguageServer)

The client sends one frame whose header is lower-case (`content-length: N`, legal: header names are
case-insensitive, and the base protocol copies HTTP's header syntax), then a perfectly valid
`initialize`. pygls' `io_.run_async` only recognises `^Content-Length: (\\d+)\\r\\n$` by fullmatch, so
it skips the first header, reads that frame's JSON body as a header line, and since a body is not
newline-terminated the JSON is glued to the next `Content-Length:` line, which then never matches
either. Every later frame is glued the same way: the server never answers again, and logs nothing.
A body shorter than its announced length (the client died mid-write, or miscounted UTF-8 bytes) has
the same effect. Expected: skip the unknown header line (or answer -32700) and resynchronise at the
next `Content-Length` header.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

SERVER = textwrap.dedent("""
    from pygls.lsp.server import LanguageServer
    LanguageServer("repro", "v1").start_io()
""")


def frame(obj: dict, header: str = "Content-Length") -> bytes:
    body = json.dumps(obj).encode()
    return f"{header}: {len(body)}\r\n\r\n".encode() + body


def initialize(msg_id: int) -> dict:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}}}


def answered(first_header: str) -> bool:
    """Send one notification framed with `first_header`, then a valid initialize: is it answered?"""
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "$/nothing", "params": {}}, header=first_header))
    proc.stdin.write(frame(initialize(1)))
    proc.stdin.flush()
    time.sleep(3)
    proc.stdin.close()
    out = proc.stdout.read()
    proc.wait(10)
    return b'"id": 1' in out or b'"id":1' in out


def main() -> int:
    control = answered("Content-Length")
    bad = answered("content-length")
    print("initialize answered after a `Content-Length` frame (control):", control)
    print("initialize answered after a `content-length` frame          :", bad)
    bug = control and not bad
    print("BUG REPRODUCED: the server went deaf after one odd header" if bug else "not reproduced")
    return 0 if bug else 1

if __name__ == "__main__":
    sys.exit(main())
