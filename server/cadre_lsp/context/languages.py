"""Per-language facts about syntax trees: which nodes are definitions, imports, comments, identifiers.

Plain data, one `LanguageSpec` per grammar; the few rules that data cannot say (how C declarators nest a
function's name, which JavaScript variables hold functions) live with the code that walks trees, in
`outline.py`. Node type names come from the grammars' node-types.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

NOT_TARGETS = frozenset({"variable", "module", "namespace", "macro"})
"""Kinds that are never chosen as the definition enclosing a span (too small or too large to rewrite)."""

CLASS_LIKE = frozenset({"class", "struct", "impl", "trait", "interface"})
"""Kinds whose member functions are methods."""


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    fence: str
    """Info string for fenced code blocks in prompts."""
    definitions: Mapping[str, str]
    """Core definition node type -> kind."""
    bodies: Mapping[str, str] = field(default_factory=dict)
    """Definition node type -> field holding members that the outline lists (classes, impls, namespaces)."""
    wrappers: frozenset[str] = frozenset()
    """Nodes wrapping one definition whose range belongs to it (decorators, export, template<>)."""
    passthrough: frozenset[str] = frozenset()
    """Non-definition nodes whose children count as if they stood at the enclosing level (#ifdef)."""
    imports: frozenset[str] = frozenset()
    identifiers: tuple[str, ...] = ("identifier",)
    comments: frozenset[str] = frozenset({"comment"})
    leading: frozenset[str] = frozenset()
    """Sibling nodes just before a definition that belong to it (Rust `#[attr]`)."""
    line_comment: str = "//"
    python_docstrings: bool = False
    """Docstrings are the body's first string (Python) rather than the comments above."""
    keep_all_imports: bool = False
    """Imports cannot be matched to names (C #include): list them all."""


_JS_DEFS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "method_definition": "method",
    "abstract_method_signature": "method",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
    "internal_module": "namespace",
    "module": "namespace",
    # Only when they hold a function or class (checked in outline.py):
    "variable_declarator": "function",
    "public_field_definition": "method",
    "field_definition": "method",
}
_JS = dict(
    definitions=_JS_DEFS,
    bodies={
        "class_declaration": "body",
        "abstract_class_declaration": "body",
        "class": "body",
        "internal_module": "body",
        "module": "body",
    },
    wrappers=frozenset(
        {"export_statement", "lexical_declaration", "variable_declaration", "ambient_declaration"}
    ),
    imports=frozenset({"import_statement"}),
    identifiers=(
        "identifier",
        "property_identifier",
        "type_identifier",
        "shorthand_property_identifier",
    ),
)

_C_DEFS = {
    "function_definition": "function",
    "struct_specifier": "struct",
    "union_specifier": "struct",
    "enum_specifier": "enum",
    "type_definition": "type",
    "preproc_def": "macro",
    "preproc_function_def": "macro",
}
_C_PASSTHROUGH = frozenset(
    {
        "preproc_ifdef",
        "preproc_if",
        "preproc_else",
        "preproc_elif",
        "preproc_elifdef",
        "linkage_specification",
        "declaration_list",
    }
)

SPECS: dict[str, LanguageSpec] = {
    "python": LanguageSpec(
        name="python",
        fence="python",
        definitions={"function_definition": "function", "class_definition": "class"},
        bodies={"class_definition": "body"},
        wrappers=frozenset({"decorated_definition"}),
        imports=frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
        identifiers=("identifier",),
        line_comment="#",
        python_docstrings=True,
    ),
    "javascript": LanguageSpec(name="javascript", fence="javascript", **_JS),  # type: ignore[arg-type]
    "typescript": LanguageSpec(name="typescript", fence="typescript", **_JS),  # type: ignore[arg-type]
    "tsx": LanguageSpec(name="tsx", fence="tsx", **_JS),  # type: ignore[arg-type]
    "go": LanguageSpec(
        name="go",
        fence="go",
        definitions={"function_declaration": "function", "method_declaration": "method", "type_spec": "type"},
        wrappers=frozenset({"type_declaration"}),
        imports=frozenset({"import_declaration"}),
        identifiers=("identifier", "type_identifier", "field_identifier", "package_identifier"),
    ),
    "rust": LanguageSpec(
        name="rust",
        fence="rust",
        definitions={
            "function_item": "function",
            "function_signature_item": "function",
            "struct_item": "struct",
            "enum_item": "enum",
            "union_item": "struct",
            "trait_item": "trait",
            "impl_item": "impl",
            "type_item": "type",
            "const_item": "variable",
            "static_item": "variable",
            "macro_definition": "macro",
            "mod_item": "module",
        },
        bodies={"impl_item": "body", "trait_item": "body", "mod_item": "body"},
        imports=frozenset({"use_declaration", "extern_crate_declaration"}),
        identifiers=("identifier", "type_identifier", "field_identifier"),
        comments=frozenset({"line_comment", "block_comment"}),
        leading=frozenset({"attribute_item"}),
    ),
    "lua": LanguageSpec(
        name="lua",
        fence="lua",
        # assignment_statement counts only when it assigns a function (checked in outline.py).
        definitions={"function_declaration": "function", "assignment_statement": "function"},
        wrappers=frozenset({"variable_declaration"}),
        identifiers=("identifier",),
        line_comment="--",
    ),
    "c": LanguageSpec(
        name="c",
        fence="c",
        definitions=_C_DEFS,
        passthrough=_C_PASSTHROUGH,
        imports=frozenset({"preproc_include"}),
        identifiers=("identifier", "type_identifier", "field_identifier"),
        keep_all_imports=True,
    ),
    "cpp": LanguageSpec(
        name="cpp",
        fence="cpp",
        definitions={
            **_C_DEFS,
            "class_specifier": "class",
            "namespace_definition": "namespace",
            # A method declared in a class body (checked in outline.py: needs a function declarator).
            "field_declaration": "method",
        },
        bodies={"class_specifier": "body", "struct_specifier": "body", "namespace_definition": "body"},
        wrappers=frozenset({"template_declaration"}),
        passthrough=_C_PASSTHROUGH,
        imports=frozenset({"preproc_include", "using_declaration", "namespace_alias_definition"}),
        identifiers=("identifier", "type_identifier", "field_identifier", "namespace_identifier"),
        keep_all_imports=True,
    ),
}


def spec_for(language: str | None) -> LanguageSpec | None:
    return SPECS.get(language) if language else None
