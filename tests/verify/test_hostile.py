"""Each hostile candidate is contained: its effect did not happen, its example failed, we are alive.

The containment figure quoted in docs/reliability.md is len(CASES)/len(CASES) when this file passes.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from cadre_lsp.verify import Example, Limits, run_examples, sandbox
from verify.hostile import CASES, Hostile

SECRET = "-----BEGIN FAKE KEY----- hostile-corpus-secret"


@pytest.mark.parametrize("isolation", ["probed", "hook only"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_contained(
    case: Hostile, isolation: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once with unshare/bwrap when this machine has them, once with the audit hook and limits alone."""
    if isolation == "hook only":
        monkeypatch.setattr(sandbox, "_isolation", [])
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    secret = home / ".ssh" / "id_rsa"
    secret.write_text(SECRET)
    monkeypatch.setenv("HOME", str(home))
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_text("keep me")
    marker = outside / "dropped"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    code = case.code.format(
        marker=str(marker),
        victim=str(victim),
        secret=str(secret),
        outside=str(outside),
        port=listener.getsockname()[1],
    )
    try:
        report = await run_examples(
            code,
            [Example("attack", (), expected=True)],
            limits=Limits(wall_s=6, per_example_s=1.5, memory_mb=256),
        )
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()
    result = report.results[0]
    assert result.status != "pass", report.summary()
    assert not marker.exists()
    assert victim.read_text() == "keep me"
    assert SECRET not in repr(report) and "id_rsa" not in (result.actual or "")
    assert os.getpid() > 0 and report.pid is not None
    try:
        os.kill(report.pid, 0)
        pytest.fail("the sandbox process outlived its run")
    except ProcessLookupError:
        pass
    assert report.isolation == "audit hook" or isolation == "probed"
    print(f"{case.name} [{report.isolation}]: {result.status} - {result.error or result.actual}")
