"""Import lines of a file, and the names each binds, to list only the imports a definition uses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from .languages import LanguageSpec
from .nodes import descendants_of_type, node_text, words


@dataclass(frozen=True)
class ImportLine:
    text: str
    names: frozenset[str]
    """The names the import binds (`np` for `import numpy as np`; "*" for a wildcard)."""
    words: frozenset[str]
    """Every identifier-like word in it, module path included."""


def import_lines(node: Node, spec: LanguageSpec) -> list[ImportLine]:
    t = node.type
    data = node.text or b""
    lang = spec.name
    if t in spec.imports:
        if t == "import_declaration":  # Go: one line per spec, so unused packages of a group drop out
            specs = descendants_of_type(node, "import_spec")
            if len(specs) > 1:
                return [_import_line(f"import {node_text(s)}", s, spec) for s in specs]
        return [_import_line(node_text(node).rstrip("\n"), node, spec)]
    if lang in ("javascript", "typescript", "tsx") and t in ("lexical_declaration", "variable_declaration"):
        if b"require(" in data and len(data) < 400:
            return [_import_line(node_text(node), node, spec)]
    if lang == "lua" and t == "variable_declaration" and b"require" in data and len(data) < 400:
        return [_import_line(node_text(node), node, spec)]
    return []


def _import_line(text: str, node: Node, spec: LanguageSpec) -> ImportLine:
    found = words(node.text or b"")
    return ImportLine(text, _bound_names(node, spec, text) or found, found)


def _bound_names(node: Node, spec: LanguageSpec, text: str) -> frozenset[str]:
    """The names an import makes available to the code below it (empty when unknown: match all words)."""
    lang = spec.name
    names: set[str] = set()
    if lang == "python":
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                names.add(node_text(child.child_by_field_name("alias")))
            elif node.type == "import_statement":
                names.add(node_text(child).split(".", 1)[0])
            else:
                names.add(node_text(child).rsplit(".", 1)[-1])
        if any(c.type == "wildcard_import" for c in node.named_children):
            names.add("*")
    elif lang in ("javascript", "typescript", "tsx"):
        scope = next((c for c in node.named_children if c.type == "import_clause"), None)
        if scope is None and node.type != "import_statement":
            scope = next((c for c in node.named_children if c.type == "variable_declarator"), None)
            scope = scope.child_by_field_name("name") if scope is not None else None
        if scope is not None:
            names.update(node_text(n) for n in descendants_of_type(scope, "identifier"))
            names.update(
                node_text(n) for n in descendants_of_type(scope, "shorthand_property_identifier_pattern")
            )
    elif lang == "go":
        for import_spec in descendants_of_type(node, "import_spec"):
            alias = import_spec.child_by_field_name("name")
            path = node_text(import_spec.child_by_field_name("path")).strip('"`')
            if alias is not None:
                names.add(node_text(alias))
                continue
            segments = path.split("/")
            last = segments[-1]
            if re.fullmatch(r"v\d+", last) and len(segments) > 1:
                last = segments[-2]
            last = last.split(".", 1)[0]
            names.update({last, last.removeprefix("go-"), last.replace("-", "_")})
    elif lang == "rust":
        body = re.sub(r"^\s*(pub(\([^)]*\))?\s+)?(use|extern\s+crate)\s+", "", text).rstrip().rstrip(";")
        for piece in re.split(r"[{},]", body):
            piece = piece.strip()
            if " as " in piece:
                names.add(piece.rsplit(" as ", 1)[1].strip())
            elif piece:
                last = piece.split("::")[-1].strip()
                if last and last != "self":
                    names.add(last)
    elif lang == "lua":
        statement = node.named_children[0] if node.named_child_count else None
        variables = (
            statement.named_children[0] if statement is not None and statement.named_child_count else None
        )
        if variables is not None and variables.type == "variable_list":
            names.update(node_text(v) for v in variables.named_children if v.type == "identifier")
    return frozenset(n for n in names if n)
