"""The benchmark's generated file is realistic (valid, the size it claims) and its metrics are well formed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from cadre_lsp.context import outline_of, parse_document

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "context_bench.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("context_bench", _BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_file_is_five_thousand_lines_of_valid_python() -> None:
    bench = load_bench()
    text = bench.generate_python()
    assert 4900 <= text.count("\n") <= 5100
    doc = parse_document(text, "python")
    assert not doc.tree.root_node.has_error
    assert len(outline_of(doc).entries) > 300


def test_bench_pieces_report_numbers() -> None:
    bench = load_bench()
    text = bench.generate_python(400)
    extraction = bench.bench_extraction(text, requests=5)
    reparse = bench.bench_reparse(text, places=2)
    assert extraction["cached"] > 0 and extraction["after_edit"] > 0
    assert reparse["incremental"] > 0 and reparse["full"] > 0
