"""What goes into the prompt for a span of a document: `extract_context` and the `CodeContext` it returns.

Small local models do better with less, well-chosen text: the definition being worked on (whole, so it can
be rewritten), the imports it uses, the definitions it refers to (from the same file first, then from the
workspace), and the class it sits in. `CodeContext.render` lays these out most relevant first and cuts
them to a token budget. Languages without a grammar get a window of lines around the span instead.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from tree_sitter import Query, QueryCursor

from ..core import Span
from .documents import ParsedDocument, parse_text
from .grammars import grammar
from .languages import NOT_TARGETS, LanguageSpec, spec_for
from .outline import Definition, Entry, Outline, enclosing_entries, make_definition, outline_of
from .render import render_context
from .symbols import SymbolIndex, shared_index

WINDOW_LINES = 40
"""Lines kept on each side of the span in the fallback window (render trims further to the budget)."""
MAX_FILE_REFERENCES = 12
MAX_WORKSPACE_REFERENCES = 6
_NOT_REFERENCES = frozenset(
    {"self", "cls", "this", "super", "None", "True", "False", "nil", "null", "undefined", "true", "false",
     "int", "str", "len", "print", "range", "err", "ctx", "string", "bool", "error", "Self", "i", "j", "k",
     "x", "y", "n", "_"}
)  # fmt: skip


@dataclass
class CodeContext:
    """The pieces of a prompt's code context for one request; `render()` turns them into text."""

    language: str | None
    target: Definition | None
    """The innermost function/method/class covering the span; a "region" when the span crosses
    several top-level definitions; None when no definition is involved (then `window` is set)."""
    imports: list[str] = field(default_factory=list)
    references: list[Definition] = field(default_factory=list)
    """Definitions the target names: same file first (path None), then workspace (path set)."""
    window: str = ""
    window_start_line: int = 0
    enclosing: list[Definition] = field(default_factory=list)
    """Definitions around the target (its class, impl, namespace, outer function), innermost first;
    rendered as one signature line each."""
    focus_start_line: int = 0
    focus_end_line: int = 0
    """The span's lines (0-based inclusive, whitespace trimmed), to centre cuts on."""
    budget_tokens: int = 1200
    path: str | None = None
    workspace_root: str | None = None

    def render(self, budget_tokens: int | None = None, *, include_target: bool = True) -> str:
        """The context as prompt text, most relevant first, within the token budget (see `budget`).

        `include_target=False` leaves the target out (for prompts that show it on its own) and spends the
        budget on the rest; the fallback window is still shown when there is no target.
        """
        budget = self.budget_tokens if budget_tokens is None else budget_tokens
        return render_context(self, budget, include_target=include_target)


def extract_context(
    doc_or_text: ParsedDocument | str,
    language: str | None,
    span: Span,
    *,
    budget_tokens: int = 1200,
    workspace_root: str | None = None,
    path: str | None = None,
    index: SymbolIndex | None = None,
) -> CodeContext:
    """Collect the context for `span` of a document (a snapshot, or plain text that is parsed and cached).

    `workspace_root` (or an explicit `index`) enables references to definitions in other files, found
    through a lazily built `SymbolIndex`; `path` names the document's file, to leave it out of those.
    """
    if isinstance(doc_or_text, ParsedDocument):
        doc = doc_or_text
        if doc.language is None and language:
            doc = parse_text(doc.text, language, doc.uri)
    else:
        doc = parse_text(doc_or_text, language, path or "")
    path = path or _uri_path(doc.uri)
    lines = doc.lines
    text = doc.text
    start = lines.position_to_offset(span.start_line, span.start_col)
    end = lines.position_to_offset(span.end_line, span.end_col)
    if start > end:
        start, end = end, start
    start, end = _trim(text, start, end)
    focus_start = lines.line_of_offset(start)
    focus_end = lines.line_of_offset(max(start, end - 1))
    ctx = CodeContext(
        language=doc.language,
        target=None,
        focus_start_line=focus_start,
        focus_end_line=focus_end,
        budget_tokens=budget_tokens,
        path=path,
        workspace_root=workspace_root,
    )
    spec = spec_for(doc.language)
    outline = outline_of(doc)
    if spec is not None and outline is not None and doc.tree is not None:
        _fill_from_tree(ctx, doc, spec, outline, start, end, index or _index_for(workspace_root))
    if ctx.target is None:
        first = max(0, focus_start - WINDOW_LINES)
        last = min(lines.pipeline_line_count - 1, focus_end + WINDOW_LINES)
        ctx.window = "\n".join(lines.line_text(i) for i in range(first, last + 1))
        ctx.window_start_line = first
    return ctx


def _fill_from_tree(
    ctx: CodeContext,
    doc: ParsedDocument,
    spec: LanguageSpec,
    outline: Outline,
    start: int,
    end: int,
    index: SymbolIndex | None,
) -> None:
    lines = doc.lines
    start_byte, end_byte = lines.offset_to_byte(start), lines.offset_to_byte(end)
    chain = enclosing_entries(doc, start_byte, end_byte)
    target_at = next((i for i, e in enumerate(chain) if e.kind not in NOT_TARGETS), None)
    target_entry: Entry | None = None
    if target_at is not None:
        target_entry = chain[target_at]
        ctx.target = make_definition(doc, spec, target_entry)
        ctx.enclosing = [make_definition(doc, spec, e) for e in chain[target_at + 1 :]]
        range_bytes = (target_entry.start_byte, target_entry.end_byte)
    else:
        ctx.target = _region(doc, outline, start_byte, end_byte, start, end)
        if ctx.target is not None:
            range_bytes = (
                lines.offset_to_byte(ctx.target.start_offset),
                lines.offset_to_byte(ctx.target.end_offset),
            )
        else:
            range_bytes = (start_byte, end_byte)
    names = _identifiers(doc, spec, *range_bytes)
    used = set(names)
    if ctx.target is None or spec.keep_all_imports:
        ctx.imports = [imp.text for imp in outline.imports]
    else:
        ctx.imports = [imp.text for imp in outline.imports if imp.names & used or "*" in imp.names]
    own_names = {ctx.target.name} if ctx.target is not None else set()
    refs, unresolved = _file_references(outline, names, range_bytes, target_entry, own_names)
    ctx.references = refs
    if index is not None and unresolved:
        import_words: set[str] = set()
        for imp in outline.imports:
            if imp.names & used:
                import_words |= imp.words
        ctx.references += _workspace_references(index, unresolved, ctx.path, import_words)


def _region(
    doc: ParsedDocument, outline: Outline, start_byte: int, end_byte: int, start: int, end: int
) -> Definition | None:
    """The span plus every top-level definition it touches, in whole lines, when no one definition covers it."""
    if start_byte >= end_byte:
        return None
    touched = [
        e
        for e in outline.top_level()
        if e.kind not in ("module", "namespace") and e.start_byte < end_byte and e.end_byte > start_byte
    ]
    if not any(e.kind != "variable" for e in touched):
        return None
    lines = doc.lines
    defs = [outline.definition(e) for e in touched]
    first_line = min([lines.line_of_offset(start)] + [d.start_line for d in defs])
    last_line = max([lines.line_of_offset(max(start, end - 1))] + [d.end_line for d in defs])
    line_text = lines.line_text(first_line)
    indent = line_text[: len(line_text) - len(line_text.lstrip())]
    region_start = lines.line_start(first_line) + len(indent)
    region_end = lines.line_start(last_line) + len(lines.line_text(last_line))
    text = doc.text[region_start:region_end]
    return Definition(
        name=", ".join(d.name for d in defs if d.kind != "variable"),
        kind="region",
        start_line=first_line,
        end_line=last_line,
        start_offset=region_start,
        end_offset=region_end,
        text=text,
        signature=text.split("\n", 1)[0],
        indent=indent,
    )


@functools.cache
def _identifier_query(language: str) -> Query | None:
    spec = spec_for(language)
    lang = grammar(language)
    if spec is None or lang is None:
        return None
    kinds = [k for k in spec.identifiers if lang.id_for_node_kind(k, True)]
    if not kinds:
        return None
    return Query(lang, "[" + " ".join(f"({k})" for k in kinds) + "] @id")


def _identifiers(doc: ParsedDocument, spec: LanguageSpec, start_byte: int, end_byte: int) -> list[str]:
    """Distinct identifier names within a byte range, in order of first appearance."""
    query = _identifier_query(spec.name)
    if query is None or doc.tree is None:
        return []
    cursor = QueryCursor(query)
    cursor.set_byte_range(start_byte, max(end_byte, start_byte + 1))
    nodes = cursor.captures(doc.tree.root_node).get("id", [])
    nodes.sort(key=lambda n: n.start_byte)
    seen: dict[str, None] = {}
    for node in nodes:
        if node.text:
            seen.setdefault(node.text.decode("utf-8", "replace"), None)
    return list(seen)


def _file_references(
    outline: Outline,
    names: list[str],
    range_bytes: tuple[int, int],
    target: Entry | None,
    own_names: set[str],
) -> tuple[list[Definition], list[str]]:
    """Same-file definitions named in the range (not inside it, not enclosing it), and names not found."""
    lo, hi = range_bytes
    refs: list[Definition] = []
    unresolved: list[str] = []
    container = target.container if target is not None else None
    for name in names:
        entries = outline.by_name.get(name)
        if not entries:
            if name not in own_names and name not in _NOT_REFERENCES and len(name) > 1:
                unresolved.append(name)
            continue
        picked = [e for e in entries if _is_reference(e, lo, hi, own_names, container)]
        picked.sort(key=lambda e: e.container != container)
        for entry in picked[:2]:
            if len(refs) >= MAX_FILE_REFERENCES:
                return refs, unresolved
            refs.append(outline.definition(entry))
    return refs, unresolved


def _is_reference(entry: Entry, lo: int, hi: int, own_names: set[str], container: str | None) -> bool:
    if entry.start_byte >= lo and entry.end_byte <= hi:
        return False  # inside the target: already shown
    if entry.start_byte <= lo and entry.end_byte >= hi:
        return False  # encloses the target: shown as `enclosing`
    if entry.kind == "impl":
        return False  # a Rust impl is named after its type; the type's own definition is the reference
    if entry.name in own_names and entry.container == container:
        return False  # the target's own declaration elsewhere (C++ in-class declaration)
    return not (entry.kind == "method" and entry.name == entry.container)  # a constructor, not the class


def _workspace_references(
    index: SymbolIndex, names: list[str], path: str | None, import_words: set[str]
) -> list[Definition]:
    """Definitions elsewhere in the workspace, for names the file does not define.

    A name is taken when its definitions are few, or when one sits beside this file (Go packages, C
    headers) or in a module this file imports; common names defined all over are left out as noise.
    """
    here = os.path.dirname(os.path.abspath(path)) if path else None
    this_file = os.path.abspath(path) if path else None
    out: list[Definition] = []
    for name in names:
        found = [d for d in index.lookup(name) if d.path != this_file]
        if not found:
            continue
        preferred = [
            d for d in found
            if (here is not None and os.path.dirname(d.path or "") == here)
            or _module_stem(d.path) in import_words
        ]  # fmt: skip
        if preferred:
            found = preferred
        elif len(found) > 2 or (name not in import_words and all(d.kind == "variable" for d in found)):
            continue
        for definition in found[:2]:
            out.append(definition)
            if len(out) >= MAX_WORKSPACE_REFERENCES:
                return out
    return out


def _module_stem(path: str | None) -> str:
    if not path:
        return ""
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem in ("__init__", "index", "mod", "lib"):
        stem = os.path.basename(os.path.dirname(path))
    return stem


def _index_for(workspace_root: str | None) -> SymbolIndex | None:
    return shared_index(workspace_root) if workspace_root else None


def _uri_path(uri: str) -> str | None:
    if not uri:
        return None
    if uri.startswith("file:"):
        return unquote(urlparse(uri).path)
    return uri if "://" not in uri else None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span to its non-blank part; move a cursor at a line's end onto the line's last character.

    Whole-line spans (`Span.lines`) end at the next line's start, which lies outside the definition they
    select; trimming makes "lines 10-20" mean the code on those lines.
    """
    if start < end:
        s, e = start, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            return s, e
        end = start
    p = start
    if p >= len(text) or text[p].isspace():
        while p > 0 and text[p - 1] in " \t\r":
            p -= 1
        if p > 0 and text[p - 1] != "\n":
            p -= 1
    return p, p
