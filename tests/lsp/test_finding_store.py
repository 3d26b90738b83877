"""Findings follow the code they are about: moved with it, dropped when their text is gone."""

from __future__ import annotations

from lsprotocol import types

from cadre_lsp.core import Finding
from cadre_lsp.lsp.diagnostics import FindingStore, to_diagnostics

TEXT = "def f(x):\n    y = x - 1\n    return y\n\n\ndef g():\n    return 2\n"


def store_with(*lines: int) -> FindingStore:
    s = FindingStore()
    s.replace("u", "job-1", [Finding(n, n, "warning", f"line {n}") for n in lines], read_text=TEXT,
              current_text=TEXT, scope=None)
    return s


def lines_of(s: FindingStore) -> list[int]:
    return [f.finding.start_line for f in s.get("u")]


def test_insert_above_moves_findings_down():
    s = store_with(1, 6)
    changed = s.on_change("u", TEXT, [(0, 0, "import os\n\n")])
    assert changed and lines_of(s) == [3, 8]


def test_editing_the_finding_line_drops_it_and_keeps_the_rest():
    s = store_with(1, 6)
    start = TEXT.index("x - 1")
    assert s.on_change("u", TEXT, [(start, start + 5, "x + 1")])
    assert lines_of(s) == [6]


def test_edit_below_leaves_findings_alone():
    s = store_with(1)
    start = TEXT.index("return 2")
    assert not s.on_change("u", TEXT, [(start, start + 8, "return 3")])
    assert lines_of(s) == [1]


def test_typing_at_column_zero_of_the_finding_line_keeps_it_on_the_moved_text():
    s = store_with(1)
    at = TEXT.index("    y = x")
    s.on_change("u", TEXT, [(at, at, "    # note\n")])
    assert lines_of(s) == [2]


def test_block_moved_elsewhere_is_found():
    s = store_with(6)  # "    return 2"
    new = "def g():\n    return 2\n\n\n" + TEXT[: TEXT.index("def g")]
    s.on_change("u", TEXT, [(0, len(TEXT), new)])
    assert lines_of(s) == [1]


def test_findings_from_a_stale_read_are_mapped_onto_the_current_text():
    s = FindingStore()
    current = "# header\n" + TEXT
    s.replace("u", "j", [Finding(1, 1, "error", "off by one")], read_text=TEXT, current_text=current, scope=None)
    assert lines_of(s) == [2]


def test_a_review_replaces_only_findings_in_its_scope():
    s = store_with(1, 6)
    s.replace("u", "job-2", [Finding(2, 2, "info", "new")], read_text=TEXT, current_text=TEXT, scope=(0, 3))
    assert sorted(lines_of(s)) == [2, 6]


def test_diagnostics_carry_data_and_client_unit_ranges():
    text = 'def h():\n    return "👋" + x\n'
    s = FindingStore()
    s.replace("u", "j", [Finding(1, 1, "error", "x is undefined", "define x")], read_text=text,
              current_text=text, scope=None)
    (d,) = to_diagnostics("u", text, s.get("u"), "utf-16")
    assert d.source == "cadre" and d.severity == types.DiagnosticSeverity.Error
    assert d.range.start == types.Position(line=1, character=4)
    assert d.range.end == types.Position(line=1, character=len('    return "👋" + x') + 1)  # emoji = 2 units
    assert d.data["finding"]["message"] == "x is undefined"
    assert d.data["lineText"] == '    return "👋" + x'
    assert "define x" in d.message
