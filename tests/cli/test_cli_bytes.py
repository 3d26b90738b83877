"""`run ... --apply` keeps every byte of the user's file outside the edit, and refuses stale or racing writes.

The subprocess tests run the command as a user does; the property test drives `cli.main` in-process
(one interpreter, a fresh scripted model per example) over generated files with mixed line endings,
a BOM, tabs, trailing spaces, non-BMP characters and no final newline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadre_lsp import cli as cadre_cli
from cadre_lsp.edits.match import detect_eol

BUGGY = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total -= p
    return total
'''
FIXED = BUGGY.replace("total -= p", "total += p")
ROLES = "".join(f'{r} = ["s"]\n' for r in ("reasoning", "coding", "validator", "competitor", "judge", "tools",
                                            "summarizer"))


def configure(root: Path, reply: str, latency_s: float = 0.0) -> None:
    (root / "script.json").write_text(json.dumps([{"reply": reply, "latency_s": latency_s}]))
    (root / ".cadre.toml").write_text(f'[endpoints.s]\nkind = "scripted"\nscript = "script.json"\nretries = 0\n'
                                      f"[roles]\n{ROLES}")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cadre_lsp", *args], cwd=cwd, env=_env(cwd), capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def _env(cwd: Path) -> dict[str, str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(cwd / "xdg")}
    env.pop("CADRE_CONFIG", None)
    return env


def test_crlf_file_keeps_every_line_ending(tmp_path: Path) -> None:
    configure(tmp_path, f"```python\n{FIXED}```")
    (tmp_path / "crlf.py").write_bytes(BUGGY.replace("\n", "\r\n").encode())
    r = cli("run", "fix", "crlf.py:1-6", "--apply", "-q", "--workspace", ".", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "crlf.py").read_bytes() == FIXED.replace("\n", "\r\n").encode()


def test_latin1_file_with_a_cookie_is_written_back_in_latin1(tmp_path: Path) -> None:
    before = "# -*- coding: latin-1 -*-\n" + BUGGY.replace("prices.", "prices (café).")
    configure(tmp_path, f"```python\n{FIXED.replace('prices.', 'prices (café).')}```")
    (tmp_path / "l1.py").write_bytes(before.encode("latin-1"))
    r = cli("run", "fix", "l1.py:2-7", "--apply", "-q", "--workspace", ".", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "l1.py").read_bytes() == before.replace("-= p", "+= p").encode("latin-1")


@pytest.mark.parametrize(("name", "data", "needle"), [
    ("bin.py", b"x = '\xff\xfe'\n", "bin.py: not UTF-8 text (byte 0xff at line 1 cannot be decoded)"),
    ("elf.py", b"\x7fELF\x02\x01\x01\x00\x00\x00", "elf.py: binary file"),
])
def test_a_file_that_is_not_text_is_one_line_and_exit_2(tmp_path: Path, name: str, data: bytes,
                                                        needle: str) -> None:
    configure(tmp_path, "unused")
    (tmp_path / name).write_bytes(data)
    r = cli("run", "fix", f"{name}:1", "--workspace", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _start(root: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cadre_lsp", "run", "fix", f"{name}:1-6", "--apply",
                             "--workspace", "."], cwd=root, env=_env(root), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def test_a_file_saved_while_the_model_runs_is_not_overwritten(tmp_path: Path) -> None:
    configure(tmp_path, f"```python\n{FIXED}```", latency_s=1.5)
    path = tmp_path / "shop.py"
    path.write_text(BUGGY)
    proc = _start(tmp_path, "shop.py")
    assert proc.stderr is not None
    proc.stderr.readline()  # the route line: the file has been read, the model is running
    saved = BUGGY + "# saved in the editor meanwhile\n"
    path.write_text(saved)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "changed on disk" in err and "Traceback" not in err
    assert path.read_text() == saved


def test_two_applies_at_once_one_wins_the_other_is_refused(tmp_path: Path) -> None:
    configure(tmp_path, f"```python\n{FIXED}```", latency_s=0.5)
    path = tmp_path / "shop.py"
    path.write_text(BUGGY)
    procs = [_start(tmp_path, "shop.py") for _ in range(2)]
    done = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], done
    refused = next(err for p, (_, err) in zip(procs, done) if p.returncode == 2)
    assert "changed on disk" in refused and "Traceback" not in refused
    assert path.read_text() == FIXED
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".shop")) == []


# -- the property, through cli.main ----------------------------------------------------------------------

_CHARS = st.sampled_from(list("ab x=(\t") + ["é", "\U0001f44b", "\u00a0", "\f", "  "])


@st.composite
def files(draw: st.DrawFn) -> tuple[list[tuple[str, str]], bool]:
    """Numbered lines with \\n / \\r\\n breaks (the CLI's LINE counts \\n), tabs, non-BMP text, a BOM."""
    n = draw(st.integers(1, 10))
    lines = []
    for i in range(n):
        indent = draw(st.sampled_from(["", "\t", "    "]))
        body = draw(st.lists(_CHARS, max_size=8).map("".join))
        trailing = draw(st.sampled_from(["", " ", "\t"]))
        lines.append((f"{indent}v{i} = {body}{trailing}", draw(st.sampled_from(["\n", "\r\n"]))))
    if draw(st.booleans()):
        lines[-1] = (lines[-1][0], "")
    return lines, draw(st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(), st.data())
def test_apply_through_the_cli_changes_nothing_outside_the_edit(tmp_path_factory: pytest.TempPathFactory,
                                                                generated: tuple[list[tuple[str, str]], bool],
                                                                data: st.DataObject) -> None:
    lines, bom = generated
    root = tmp_path_factory.mktemp("cli")
    text = "".join(c + e for c, e in lines)
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    path = root / "f.txt"  # no grammar: the block is exactly the selected line
    path.write_bytes(raw)
    k = data.draw(st.integers(0, len(lines) - 1), label="line")
    indent = lines[k][0][: len(lines[k][0]) - len(lines[k][0].lstrip(" \t"))]
    new_line = indent + data.draw(st.sampled_from(["w = 1", "w = '\U0001f600'", "w\t= é"]), label="new")
    inserted = data.draw(st.sampled_from([None, "z = 2", "z = 'ü'"]), label="inserted")
    reply = new_line + ("\n" + indent + inserted if inserted else "") + "\n"
    configure(root, f"```\n{reply}```")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code = cadre_cli.main(["run", "fix", f"f.txt:{k + 1}", "--apply", "-q", "--workspace", str(root)])
    finally:
        os.chdir(cwd)
    assert code == 0
    start = sum(len(c) + len(e) for c, e in lines[:k])
    end = start + len(lines[k][0])
    added = new_line + (detect_eol(text) + indent + inserted if inserted else "")
    expected = text[:start] + added + text[end:]
    assert path.read_bytes() == raw[: len(raw) - len(text.encode())] + expected.encode()

