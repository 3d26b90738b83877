"""SymbolIndex over a small workspace, and workspace references in extracted context."""

from __future__ import annotations

from pathlib import Path

import pytest
from ctx_helpers import context_at, ref_names

from cadre_lsp.context import SymbolIndex


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "config.py").write_text(
        'def parse_config(path):\n    """Read the settings file."""\n    return {}\n\n\nclass Settings:\n'
        "    def get(self, key):\n        return None\n"
    )
    (tmp_path / "pkg" / "app.py").write_text(
        "from pkg.config import parse_config\n\n\ndef main():\n    cfg = parse_config('x')\n    return helper(cfg)\n"
    )
    (tmp_path / "pkg" / "util.go").write_text("package pkg\n\nfunc Helper() int { return 1 }\n")
    for skipped in ("node_modules", ".venv", ".git", "build", "target"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "hidden.py").write_text("def parse_config():\n    pass\n")
    (tmp_path / "huge.py").write_text("def huge():\n    pass\n" + "# padding\n" * 40_000)
    (tmp_path / "notes.txt").write_text("def parse_config(): not code\n")
    return tmp_path


def test_index_is_built_lazily_and_skips_vendor_dirs_and_big_files(workspace: Path) -> None:
    index = SymbolIndex(str(workspace))
    assert not index.built
    found = index.lookup("parse_config")
    assert index.built
    assert [(d.name, d.kind, d.path) for d in found] == [
        ("parse_config", "function", str(workspace / "pkg" / "config.py"))
    ]
    assert found[0].docstring == "Read the settings file."
    assert index.lookup("huge") == []
    assert [d.name for d in index.lookup("Helper")] == ["Helper"]
    assert index.lookup("get") == []  # members are not indexed, only top-level definitions
    assert index.file_count == 3


def test_update_replaces_a_file_and_none_removes_it(workspace: Path) -> None:
    index = SymbolIndex(str(workspace))
    index.build()
    config = str(workspace / "pkg" / "config.py")
    index.update(config, "def load_config(path):\n    return {}\n")
    assert index.lookup("parse_config") == []
    assert [d.name for d in index.lookup("load_config")] == ["load_config"]
    index.update("pkg/config.py", None)
    assert index.lookup("load_config") == []
    index.update("/somewhere/else/x.py", "def elsewhere(): pass\n")
    assert index.lookup("elsewhere") == []


def test_updates_before_the_build_win_over_the_disk(workspace: Path) -> None:
    index = SymbolIndex(str(workspace))
    index.update(str(workspace / "pkg" / "config.py"), "def unsaved():\n    pass\n")
    assert [d.name for d in index.lookup("unsaved")] == ["unsaved"]
    assert index.lookup("parse_config") == []


def test_context_pulls_definitions_from_the_workspace(workspace: Path) -> None:
    app = workspace / "pkg" / "app.py"
    text = app.read_text()
    ctx = context_at(text, "python", "cfg = parse", workspace_root=str(workspace), path=str(app))
    assert ctx.target.name == "main"
    assert ref_names(ctx) == ["parse_config"]
    assert ctx.references[0].path == str(workspace / "pkg" / "config.py")
    out = ctx.render()
    assert "pkg/config.py, lines 1-3" in out
    assert "def parse_config(path):" in out


def test_context_without_workspace_root_stays_in_the_file(workspace: Path) -> None:
    text = (workspace / "pkg" / "app.py").read_text()
    assert context_at(text, "python", "cfg = parse").references == []


def test_index_of_this_repository_finds_this_module() -> None:
    repo = Path(__file__).resolve().parents[2]
    index = SymbolIndex(str(repo))
    found = index.lookup("extract_context")
    assert any(d.path and d.path.endswith("context/extract.py") for d in found)
    assert not any(".venv" in (d.path or "") for d in index.lookup("Parser"))
