"""Read/Glob/Grep answered inside the workspace, bounded, without following links out."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadre_lsp.edits import EditError, PathRefused, answer_readonly, glob_to_regex
from cadre_lsp.toolcalls import ToolCall

PROTECTED = [".git/", ".env"]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "app.py").write_text("import os\n\ndef main():\n    return os.getcwd()\n")
    (root / "src" / "pkg" / "util.py").write_text("def helper():\n    return 42  # TODO\n")
    (root / "README.md").write_text("# Demo\nTODO: docs\n")
    (root / "blob.bin").write_bytes(b"\x00\x01TODO\x02")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main TODO\n")
    (root / ".env").write_text("TODO=secret\n")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "index.js").write_text("// TODO\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("TODO leaked\n")
    (root / "out").symlink_to(outside, target_is_directory=True)
    return root


def ask(ws: Path, name: str, cap: int = 8000, **args: object) -> str:
    return answer_readonly(ws, ToolCall(name, dict(args)), PROTECTED, cap)


def test_read_plain_text_without_gutter(ws: Path) -> None:
    assert ask(ws, "Read", path="src/app.py") == "import os\n\ndef main():\n    return os.getcwd()\n"
    assert ask(ws, "Read", path="src/app.py", offset=3, limit=1) == "def main():\n"


def test_read_is_bounded(ws: Path) -> None:
    (ws / "big.txt").write_text("line\n" * 10_000)
    out = ask(ws, "Read", cap=100, path="big.txt")
    assert len(out) < 160 and out.endswith("more characters]")


def test_read_refusals(ws: Path) -> None:
    with pytest.raises(PathRefused):
        ask(ws, "Read", path="../outside/leak.py")
    with pytest.raises(PathRefused):
        ask(ws, "Read", path="out/leak.py")
    with pytest.raises(PathRefused):
        ask(ws, "Read", path=".env")
    with pytest.raises(EditError, match="does not exist"):
        ask(ws, "Read", path="nope.py")
    with pytest.raises(EditError, match="not a text file"):
        ask(ws, "Read", path="blob.bin")
    with pytest.raises(EditError, match="never run"):
        ask(ws, "Bash", command="cat /etc/passwd")
    with pytest.raises(EditError, match="not a read-only tool"):
        answer_readonly(ws, ToolCall("Edit", {"path": "a", "old_string": "a", "new_string": "b"}), PROTECTED)


def test_glob(ws: Path) -> None:
    assert ask(ws, "Glob", pattern="**/*.py").split("\n") == ["src/app.py", "src/pkg/util.py"]
    assert ask(ws, "Glob", pattern="*.py").split("\n") == ["src/app.py", "src/pkg/util.py"]
    assert ask(ws, "Glob", pattern="src/*.py") == "src/app.py"
    assert ask(ws, "Glob", pattern="*.py", path="src/pkg") == "src/pkg/util.py"
    assert ask(ws, "Glob", pattern="*.{md,txt}") == "README.md"
    assert ask(ws, "Glob", pattern="*.rs") == "no files match *.rs"
    everything = ask(ws, "Glob", pattern="**")
    assert ".git" not in everything and ".env" not in everything and "leak" not in everything
    assert "node_modules" not in everything
    with pytest.raises(EditError, match="inside the workspace"):
        ask(ws, "Glob", pattern="../*")


def test_grep(ws: Path) -> None:
    out = ask(ws, "Grep", pattern=r"TODO")
    assert out.split("\n") == ["README.md:2: TODO: docs", "src/pkg/util.py:2: return 42  # TODO"]
    assert ask(ws, "Grep", pattern=r"def \w+", path="src/app.py") == "src/app.py:3: def main():"
    assert ask(ws, "Grep", pattern="TODO", glob="*.md") == "README.md:2: TODO: docs"
    assert ask(ws, "Grep", pattern="zzz") == "no matches for zzz"
    with pytest.raises(EditError, match="invalid regular expression"):
        ask(ws, "Grep", pattern="(")
    with pytest.raises(PathRefused):
        ask(ws, "Grep", pattern="TODO", path="out")


def test_grep_is_bounded(ws: Path) -> None:
    (ws / "many.txt").write_text("hit\n" * 5000)
    out = ask(ws, "Grep", cap=200, pattern="hit")
    assert len(out) < 300 and out.endswith("[more matches left out; narrow the pattern or the path]")


def test_glob_to_regex() -> None:
    rx = glob_to_regex("src/**/test_*.py")
    assert rx.match("src/test_a.py") and rx.match("src/a/b/test_a.py")
    assert not rx.match("src/a/b/atest_a.py") and not rx.match("lib/test_a.py")
    assert glob_to_regex("[!a]*.c").match("b.c") and not glob_to_regex("[!a]*.c").match("a.c")
