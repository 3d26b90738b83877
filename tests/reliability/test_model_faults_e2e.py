"""Model faults end to end: the real language server (stdio) on a real `openai` client, a fake server.

The editor asks for a fix while the model server misbehaves. The server must stay up, tell the user
which endpoint failed and how, leave the buffer as it was, and serve the next request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from fakes.openai_server import FakeOpenAI, Reply
from lsp.harness import ALL_ROLES, SHOP, TOTAL_FIXED, Workspace, fenced, session, wait_for

GARBAGE = bytes((i * 131 + 7) % 256 for i in range(50_000))

FAULTS: list[tuple[str, Reply, str]] = [
    ("http 500", Reply(status=500, error="model crashed"), "HTTP 500"),
    ("stream closed halfway", Reply(fenced(TOTAL_FIXED), die_after=4), "stream"),
    ("50 KB binary garbage", Reply(raw=GARBAGE), "'bad'"),
    ("empty answer", Reply(""), "empty answer"),
]



def openai_config(ws: Workspace, url: str) -> Path:
    roles = "".join(f'{r} = ["bad"]\n' for r in ALL_ROLES)
    path = ws.home / "cadre.toml"
    path.write_text(f'fallback_role = "coding"\n[endpoints.bad]\nkind = "openai"\nmodel = "oa-model"\n'
                    f'base_url = "{url}"\nretries = 0\ntimeout_s = 30\nedit_format = "rewrite"\n[roles]\n{roles}')
    return path


@pytest.mark.parametrize(("name", "fault", "says"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_fault_shows_a_clear_message_and_applies_nothing(ws: Workspace, name: str, fault: Reply, says: str,
                                                              figure: Any) -> None:
    uri = (ws.root / "shop.py").as_uri()
    with FakeOpenAI([fault]) as srv:
        async with session(ws, "visual_studio_code", config=openai_config(ws, srv.url)) as s:
            s.open(uri, SHOP)
            job = await s.run("fix", uri, s.line_range(uri, 7, 7))
            result = await s.wait_result(job)
            assert s.text(uri) == SHOP and s.edits == []  # nothing applied to the buffer
            assert (ws.root / "shop.py").read_text() == SHOP  # nor to the file
            assert says in result["markdown"] and "'bad'" in result["markdown"], result
            await wait_for(lambda: any(m.type == types.MessageType.Error for m in s.client.messages), 10,
                           "an error message")
            error = next(m.message for m in s.client.messages if m.type == types.MessageType.Error)
            assert "'bad'" in error and says in error, error

            srv.push(Reply(fenced(TOTAL_FIXED)))  # the server is still up and serves the next request
            job2 = await s.run("fix", uri, s.line_range(uri, 7, 7))
            await s.wait_result(job2)
            assert TOTAL_FIXED in s.text(uri)
    figure("model faults e2e (language server)", cases=1, server_crashes=0, edits_applied_on_fault=0)
