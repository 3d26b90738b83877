"""extract_context per language: the enclosing definition, its imports and references, and fallbacks."""

from __future__ import annotations

import pytest
from ctx_helpers import context_at, ref_names, span_at
from ctx_snippets import CPP, GO, JAVASCRIPT, LUA, PYTHON, RUST, TSX, TYPESCRIPT, C

from cadre_lsp.context import DocumentStore, extract_context
from cadre_lsp.core import Span


def check_offsets(text: str, ctx) -> None:
    """The target's offsets, lines, indent and text all describe the same stretch of the document."""
    t = ctx.target
    assert text[t.start_offset : t.end_offset] == t.text
    lines = text.split("\n")
    assert lines[t.start_line].startswith(t.indent)
    assert lines[t.start_line][len(t.indent) :] == t.text.split("\n")[0]
    assert t.end_line == t.start_line + t.text.count("\n")


# --- Python -----------------------------------------------------------------------------------------


def test_python_method_of_nested_class() -> None:
    ctx = context_at(PYTHON, "python", "helper(v)")
    assert (ctx.target.kind, ctx.target.name, ctx.target.container) == ("method", "deep", "Inner")
    assert ctx.target.indent == " " * 8
    assert [e.name for e in ctx.enclosing] == ["Inner", "Outer"]
    assert ref_names(ctx) == ["helper", "LIMIT"]
    assert ctx.references[0].docstring == "Add one."
    check_offsets(PYTHON, ctx)


def test_python_decorated_method_includes_its_decorators() -> None:
    ctx = context_at(PYTHON, "python", "os.path.join")
    assert ctx.target.name == "decorated"
    assert ctx.target.text.startswith("@staticmethod\n    @cache\n    def decorated(a):")
    assert ctx.target.signature.endswith("def decorated(a):")
    assert ctx.imports == ["import os"]
    check_offsets(PYTHON, ctx)


def test_python_cursor_on_a_decorator_selects_the_decorated_function() -> None:
    ctx = context_at(PYTHON, "python", "@cache")
    assert ctx.target.name == "decorated"


def test_python_async_function() -> None:
    ctx = context_at(PYTHON, "python", "await go")
    assert (ctx.target.kind, ctx.target.name) == ("function", "fetch")
    assert ctx.target.text.startswith("async def fetch(url):")


def test_python_imports_are_those_the_target_uses_by_bound_name() -> None:
    ctx = context_at(PYTHON, "python", "j.dumps")
    assert ctx.imports == [
        "import json as j",
        "from typing import Any",
        "from .helpers import helper_a, helper_b as hb",
    ]
    # `x` is a parameter of helper() and a module name in no import: nothing is listed for it.
    assert context_at(PYTHON, "python", "return x + 1").imports == []


def test_python_method_calls_sibling_method_through_self() -> None:
    ctx = context_at(PYTHON, "python", "self.decorated(1)")
    assert ctx.target.name == "calls_sibling"
    assert ref_names(ctx) == ["Outer.decorated"]


def test_python_docstring_and_signature() -> None:
    ctx = context_at(PYTHON, "python", "return x + 1")
    assert ctx.target.signature == "def helper(x):"
    assert ctx.target.docstring == "Add one."


# --- JavaScript / TypeScript ------------------------------------------------------------------------


def test_js_arrow_function_assigned_to_exported_const() -> None:
    ctx = context_at(JAVASCRIPT, "javascript", "double(double")
    assert (ctx.target.kind, ctx.target.name) == ("function", "quadruple")
    assert ctx.target.text.startswith("export const quadruple = async (n) => {")
    assert ctx.target.text.endswith("};")
    assert ref_names(ctx) == ["double"]
    check_offsets(JAVASCRIPT, ctx)


def test_js_class_methods_and_arrow_fields() -> None:
    area = context_at(JAVASCRIPT, "javascript", "this.side")
    assert (area.target.kind, area.target.qualified_name) == ("method", "Shape.area")
    describe = context_at(JAVASCRIPT, "javascript", "path.join")
    assert (describe.target.kind, describe.target.qualified_name) == ("method", "Shape.describe")
    assert describe.imports == ['import path from "path";']
    assert ref_names(describe) == ["Shape.area"]


def test_js_require_counts_as_import_and_jsdoc_as_docstring() -> None:
    ctx = context_at(JAVASCRIPT, "javascript", "readFile(p")
    assert ctx.imports == ['import { readFile } from "fs";', 'const util = require("util");']
    assert ctx.target.docstring == "Loads a file."


def test_ts_function_references_interface_and_type() -> None:
    ctx = context_at(TYPESCRIPT, "typescript", "(a.x + b.x)")
    assert (ctx.target.kind, ctx.target.name) == ("function", "mid")
    assert ref_names(ctx) == ["Point", "Pair"]
    assert [r.kind for r in ctx.references] == ["interface", "type"]


def test_ts_method_in_class_references_function() -> None:
    ctx = context_at(TYPESCRIPT, "typescript", "this.log.info")
    assert ctx.target.qualified_name == "Tracker.record"
    assert ref_names(ctx) == ["Point", "dist"]
    assert ctx.imports == []  # Logger is used by the class field, not by record()


def test_tsx_component() -> None:
    ctx = context_at(TSX, "tsx", "Hello")
    assert (ctx.target.kind, ctx.target.name) == ("function", "Greeting")
    assert ref_names(ctx) == ["Props"]


def test_typescriptreact_language_id_is_accepted() -> None:
    ctx = context_at(TSX, "typescriptreact", "Hello")
    assert ctx.language == "tsx" and ctx.target.name == "Greeting"


# --- Go, Rust, Lua, C, C++ --------------------------------------------------------------------------


def test_go_method_with_receiver_and_doc_comment() -> None:
    ctx = context_at(GO, "go", "math.Pi")
    assert (ctx.target.kind, ctx.target.name, ctx.target.container) == ("method", "Area", "Circle")
    assert ctx.target.docstring == "Area returns the area."
    assert ctx.imports == ['import "math"']
    assert ref_names(ctx) == ["Circle"]


def test_go_function_references_struct_and_method() -> None:
    ctx = context_at(GO, "go", "fmt.Sprintf")
    assert ctx.target.name == "Describe"
    assert ctx.imports == ['import "fmt"']
    assert ref_names(ctx) == ["Circle", "Circle.Area"]


def test_rust_method_in_impl_block() -> None:
    ctx = context_at(RUST, "rust", "entry(")
    assert (ctx.target.kind, ctx.target.name, ctx.target.container) == ("method", "add", "Counter")
    assert [(e.kind, e.name) for e in ctx.enclosing] == [("impl", "Counter")]
    check_offsets(RUST, ctx)


def test_rust_trait_impl_method_uses_import() -> None:
    ctx = context_at(RUST, "rust", "write!")
    assert ctx.target.qualified_name == "Counter.fmt"
    assert ctx.imports == ["use std::fmt;"]


def test_rust_struct_with_attributes_and_doc_comment() -> None:
    ctx = context_at(RUST, "rust", "#[derive")
    assert (ctx.target.kind, ctx.target.name) == ("struct", "Counter")
    assert ctx.target.text.startswith("#[derive(Debug, Default)]\npub struct Counter {")
    assert ctx.target.docstring == "A counter of words."
    assert ctx.imports == ["use std::collections::HashMap;"]


def test_rust_async_fn_references_struct_and_method_not_impl() -> None:
    ctx = context_at(RUST, "rust", 'c.get("a")')
    assert ctx.target.name == "fetch_all"
    assert [(r.kind, r.qualified_name) for r in ctx.references] == [
        ("struct", "Counter"),
        ("method", "Counter.get"),
    ]


def test_lua_functions() -> None:
    quad = context_at(LUA, "lua", "double(double")
    assert (quad.target.kind, quad.target.name, quad.target.container) == ("function", "quad", "M")
    assert "double" in ref_names(quad)
    encode = context_at(LUA, "lua", "json.encode")
    assert (encode.target.kind, encode.target.name) == ("method", "encode")
    assert encode.imports == ['local json = require("json")']
    local = context_at(LUA, "lua", "n * 2")
    assert local.target.name == "double" and local.target.docstring == "Doubles a number."


def test_c_function_references_function_macro_and_struct() -> None:
    ctx = context_at(C, "c", "dot(p, p)")
    assert (ctx.target.kind, ctx.target.name) == ("function", "norm2")
    assert ref_names(ctx) == ["point", "dot", "SQUARE"]
    assert ctx.imports == ["#include <stdio.h>", '#include "util.h"']
    assert context_at(C, "c", "a.x * b.x").target.docstring == "Dot product."


def test_c_function_returning_pointer_is_named() -> None:
    text = "static const char *name_of(int i) {\n    return 0;\n}\n"
    ctx = context_at(text, "c", "return 0")
    assert ctx.target.name == "name_of"
    assert ctx.target.signature == "static const char *name_of(int i)"


def test_cpp_class_method_inline_and_out_of_line() -> None:
    inline = context_at(CPP, "cpp", "side_ * side_")
    assert (inline.target.kind, inline.target.qualified_name) == ("method", "Square.area")
    assert [e.name for e in inline.enclosing] == ["Square", "geo"]
    out_of_line = context_at(CPP, "cpp", '"square"')
    assert (out_of_line.target.kind, out_of_line.target.name, out_of_line.target.container) == (
        "method",
        "name",
        "Square",
    )
    assert "Square.area" in ref_names(out_of_line)
    assert "Square.name" not in ref_names(out_of_line)  # its own in-class declaration is not a reference


def test_cpp_template_function_includes_template_line() -> None:
    ctx = context_at(CPP, "cpp", "v + v")
    assert ctx.target.name == "twice"
    assert ctx.target.text.startswith("template <typename T>\nT twice(T v) {")


# --- spans ------------------------------------------------------------------------------------------


def test_whole_line_span_of_a_function_selects_it() -> None:
    start = PYTHON.split("\n").index("async def fetch(url):")
    ctx = extract_context(PYTHON, "python", Span.lines(start, start + 1))
    assert ctx.target.name == "fetch"


def test_cursor_at_end_of_last_line_is_inside() -> None:
    text = "def f(a):\n    return a\n\nx = 1\n"
    ctx = extract_context(text, "python", Span(1, 12, 1, 12))
    assert ctx.target is not None and ctx.target.name == "f"


def test_span_over_two_methods_selects_their_class() -> None:
    start = PYTHON.split("\n").index("    @staticmethod")
    ctx = extract_context(PYTHON, "python", Span.lines(start, start + 6))
    assert (ctx.target.kind, ctx.target.name) == ("class", "Outer")


def test_span_over_two_top_level_functions_is_a_region_of_whole_lines() -> None:
    lines = PYTHON.split("\n")
    first, last = lines.index("async def fetch(url):"), lines.index("def uses_alias() -> Any:")
    ctx = extract_context(PYTHON, "python", Span(first + 1, 4, last, 5))
    assert ctx.target.kind == "region"
    assert ctx.target.name == "fetch, uses_alias"
    assert ctx.target.text.startswith("async def fetch(url):")
    assert ctx.target.text.endswith("return j.dumps(hb(1))")
    check_offsets(PYTHON, ctx)


def test_top_level_statements_fall_back_to_a_window() -> None:
    ctx = context_at(PYTHON, "python", "LIMIT = 10")
    assert ctx.target is None
    assert "LIMIT = 10" in ctx.window
    assert ctx.window.split("\n")[0] == PYTHON.split("\n")[ctx.window_start_line]
    assert "import os" in ctx.imports  # all imports when there is no target


def test_unknown_language_gets_a_line_window() -> None:
    text = "\n".join(f"line {i}" for i in range(200))
    ctx = extract_context(text, "cobol-ish", Span(100, 0, 100, 3))
    assert ctx.target is None and ctx.language == "cobol-ish"
    window = ctx.window.split("\n")
    assert window[0] == f"line {ctx.window_start_line}"
    assert "line 100" in window and len(window) <= 81
    assert "line 100" in ctx.render()


def test_parsed_document_from_the_store_is_accepted() -> None:
    store = DocumentStore()
    doc = store.open("file:///w/shapes.go", GO)
    ctx = extract_context(doc, None, span_at(GO, "math.Pi"))
    assert ctx.target.name == "Area"
    assert ctx.path == "/w/shapes.go"


def test_non_ascii_text_offsets_are_characters() -> None:
    text = 's = "€uro 🎉"\n\ndef naïve(x):\n    """Ünïcode."""\n    return s + x\n'
    ctx = context_at(text, "python", "return s")
    assert ctx.target.name == "naïve"
    assert ctx.target.docstring == "Ünïcode."
    check_offsets(text, ctx)
    assert ref_names(ctx) == ["s"]


@pytest.mark.parametrize(
    "span",
    [
        Span(-5, -5, -1, 0),
        Span(10_000, 0, 20_000, 5),
        Span(5, 10, 2, 0),
        Span(0, 0, 0, 0),
        Span(3, 999, 3, 999),
    ],
)
def test_odd_spans_do_not_crash(span: Span) -> None:
    for text, language in [(PYTHON, "python"), (RUST, "rust"), ("", "python"), ("just text", None)]:
        ctx = extract_context(text, language, span)
        assert isinstance(ctx.render(), str)


def test_nested_function_is_the_target_and_its_outer_function_encloses_it() -> None:
    text = "def outer(xs):\n    scale = 2\n\n    def inner(x):\n        return x * scale\n\n    return [inner(x) for x in xs]\n"
    ctx = context_at(text, "python", "x * scale")
    assert (ctx.target.kind, ctx.target.name) == ("function", "inner")
    assert [(e.kind, e.name) for e in ctx.enclosing] == [("function", "outer")]
    assert "It is inside function `outer`: def outer(xs):" in ctx.render()
    assert context_at(text, "python", "return [inner").target.name == "outer"


def test_document_without_extension_uses_the_given_language() -> None:
    store = DocumentStore()
    doc = store.open("untitled:Untitled-1", "fn main() {\n    let x = 1;\n}\n")
    assert doc.language is None
    ctx = extract_context(doc, "rust", Span(1, 4, 1, 4))
    assert ctx.language == "rust" and ctx.target.name == "main"


def test_span_over_two_classes_in_a_namespace_is_a_region_not_the_namespace() -> None:
    lines = CPP.split("\n")
    first, last = lines.index("class Shape {"), lines.index("class Square : public Shape {")
    ctx = extract_context(CPP, "cpp", Span(first + 2, 0, last + 1, 0))
    assert (ctx.target.kind, ctx.target.name) == ("region", "Shape, Square")
    assert ctx.target.start_line == first
    assert ctx.target.text.endswith("double side_;\n};")
