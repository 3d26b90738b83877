"""Every bad input to `cadre-lsp run` is a one-line error with exit code 2, or a clear answer: never a
traceback, never a write outside the workspace (the corpus below, run through the real CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROLES = "".join(f'{r} = ["s"]\n' for r in ("reasoning", "coding", "validator", "competitor", "judge", "tools",
                                            "summarizer"))
MULTILINE = 's = """\nabc\ndef\n"""\n\n\ndef f():\n    return s\n'


def _workspace(root: Path, outside: Path) -> None:
    (root / "script.json").write_text(json.dumps([{"reply": "```python\nx = 2\n```"}]))
    (root / ".cadre.toml").write_text(f'[endpoints.s]\nkind = "scripted"\nscript = "script.json"\nretries = 0\n'
                                      f"[roles]\n{ROLES}")
    (root / "adir").mkdir()
    (root / "notes.txt").write_text("x = 1\n")
    (root / "ml.py").write_text(MULTILINE)
    (root / "empty.py").write_text("")
    (root / "bin.py").write_bytes(b"x = '\xff'\n")
    (root / "huge.py").write_text("x = 1\n" * 3_000_000)  # 17 MiB
    outside.write_text("secret = 1\n")
    (root / "link.py").symlink_to(outside)


CASES = [
    # (target, extra args, expected exit code, text the output must contain)
    ("adir:1", [], 2, "is a directory"),
    ("missing.py:1", [], 2, "cannot read"),
    ("bin.py:1", [], 2, "not UTF-8"),
    ("huge.py:1", [], 2, "MiB"),
    ("ml.py:99", [], 2, "lines must be within 1-8"),
    ("ml.py:x", [], 2, "1-based line numbers"),
    ("link.py:1", ["--apply"], 2, "outside the workspace"),
    ("empty.py:1", [], 1, "nothing to"),
    ("ml.py:3", [], 0, ""),  # inside a multi-line string: the selected lines are the target
    ("notes.txt:1", [], 0, "+x = 2"),  # no grammar: the selected lines, as plain text
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("bad-input")
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.py"
    _workspace(root, outside)
    return root, outside


@pytest.mark.parametrize(("target", "extra", "code", "needle"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line(corpus: tuple[Path, Path], target: str, extra: list[str], code: int,
                                     needle: str) -> None:
    root, outside = corpus
    env = {**os.environ, "XDG_CONFIG_HOME": str(root / "xdg")}
    env.pop("CADRE_CONFIG", None)
    r = subprocess.run([sys.executable, "-m", "cadre_lsp", "run", "fix", target, "-q", *extra],
                       cwd=root, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert "Traceback" not in out
    assert r.returncode == code, out
    assert needle in out
    if code == 2:
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert outside.read_text() == "secret = 1\n"  # the link's target is never written
