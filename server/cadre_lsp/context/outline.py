"""Definitions in a syntax tree: the file's outline, and the definitions enclosing a byte range.

The outline lists top-level definitions and the members of class-like ones (methods, nested classes,
namespace members), plus top-level variables and import lines; it is built once per document snapshot
and cached on it. Definitions nested in function bodies are not in the outline (nothing outside the
function can name them) but are found by `enclosing_entries`, which walks up from a node.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

from tree_sitter import Node

from .documents import ParsedDocument
from .imports import ImportLine, import_lines
from .languages import CLASS_LIKE, LanguageSpec, spec_for
from .nodes import first_of_type, node_text

_JS_FUNCTION_VALUES = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function",
        "generator_function",
        "generator_function_expression",
    }
)
_JS_CLASS_VALUES = frozenset({"class", "class_expression"})
_C_NAME_TYPES = frozenset(
    {"identifier", "field_identifier", "qualified_identifier", "destructor_name", "operator_name",
     "template_function", "type_identifier", "primitive_type"}
)  # fmt: skip
_MAX_DOC_CHARS = 1200


@dataclass(frozen=True)
class Definition:
    """A definition in a document. Lines are 0-based inclusive; offsets are character offsets, end exclusive.

    `text` is document text from `start_offset` (the first decorator, attribute or `export`, not the
    line's indentation) to `end_offset`; `indent` is the whitespace before `start_offset` on its line, so
    `indent + text` is the definition as it appears in the file.
    """

    name: str
    kind: str
    start_line: int
    end_line: int
    start_offset: int
    end_offset: int
    text: str
    signature: str
    docstring: str | None = None
    indent: str = ""
    container: str | None = None
    """The class, impl, receiver type or namespace a member belongs to."""
    path: str | None = None
    """Filesystem path, for definitions found in the workspace index."""

    @property
    def qualified_name(self) -> str:
        return f"{self.container}.{self.name}" if self.container else self.name


@dataclass(eq=False)
class Entry:
    """A definition node found in a tree, before it is turned into a `Definition` (which costs text work)."""

    name: str
    kind: str
    node: Node
    """The node that is the definition itself (function_definition, variable_declarator, ...)."""
    outer: Node
    """`node` with the wrappers that belong to it (decorated_definition, export_statement, ...)."""
    first: Node
    """The first node of the definition's range: `outer` or a leading attribute before it."""
    container: str | None
    parent: Entry | None = None
    definition: Definition | None = field(default=None, repr=False)

    @property
    def start_byte(self) -> int:
        return self.first.start_byte

    @property
    def end_byte(self) -> int:
        return self.outer.end_byte

    def covers(self, start: int, end: int) -> bool:
        if start == end:
            return self.start_byte <= start <= self.end_byte
        return self.start_byte <= start and end <= self.end_byte

    def same_range(self, other: Entry) -> bool:
        return self.start_byte == other.start_byte and self.end_byte == other.end_byte


@dataclass
class Outline:
    """The definitions and imports of one document snapshot."""

    doc: ParsedDocument
    spec: LanguageSpec
    entries: list[Entry]
    imports: list[ImportLine]
    by_name: dict[str, list[Entry]] = field(default_factory=dict)

    def top_level(self) -> list[Entry]:
        """Definitions at file level, including those inside namespaces and modules."""
        return [e for e in self.entries if e.parent is None or e.parent.kind in ("module", "namespace")]

    def definition(self, entry: Entry) -> Definition:
        if entry.definition is None:
            entry.definition = make_definition(self.doc, self.spec, entry)
        return entry.definition

    def definitions(self) -> list[Definition]:
        return [self.definition(e) for e in self.entries]


def outline_of(doc: ParsedDocument) -> Outline | None:
    """The cached outline of a snapshot; None without a tree or without rules for its language."""
    cached = doc.cache.get("outline")
    if cached is not None or "outline" in doc.cache:
        return cached
    spec = spec_for(doc.language)
    outline = None
    if spec is not None and doc.tree is not None:
        entries: list[Entry] = []
        imports: list[ImportLine] = []
        _walk(doc.tree.root_node, spec, None, entries, imports, top=True)
        outline = Outline(doc=doc, spec=spec, entries=entries, imports=imports)
        for entry in entries:
            outline.by_name.setdefault(entry.name, []).append(entry)
    doc.cache["outline"] = outline
    return outline


# --- walking ---------------------------------------------------------------------------------------


def _walk(
    scope: Node,
    spec: LanguageSpec,
    parent: Entry | None,
    out: list[Entry],
    imports: list[ImportLine],
    top: bool,
) -> None:
    for child in scope.named_children:
        if top:
            lines = import_lines(child, spec)
            if lines:
                imports.extend(lines)
                continue
        if child.type in spec.passthrough:
            _walk(child, spec, parent, out, imports, top)
            continue
        cores = _cores_in(child, spec)
        if cores:
            for core in cores:
                entry = make_entry(core, spec, parent)
                if entry is None:
                    continue
                out.append(entry)
                body = _members_body(core, spec)
                if body is not None:
                    _walk(body, spec, entry, out, imports, top=entry.kind in ("module", "namespace"))
        elif top:
            for name, node, outer in _variables(child, spec):
                out.append(Entry(name, "variable", node, outer, _first_node(outer, spec), None, parent))


def _core_kind(node: Node, spec: LanguageSpec) -> str | None:
    """The kind of definition `node` is by itself, or None when it is not one."""
    kind = spec.definitions.get(node.type)
    if kind is None:
        return None
    t = node.type
    if t == "variable_declarator":
        value = node.child_by_field_name("value")
        name = node.child_by_field_name("name")
        if value is None or name is None or name.type != "identifier":
            return None
        if value.type in _JS_FUNCTION_VALUES:
            return "function"
        return "class" if value.type in _JS_CLASS_VALUES else None
    if t in ("public_field_definition", "field_definition"):
        value = node.child_by_field_name("value")
        return kind if value is not None and value.type in _JS_FUNCTION_VALUES else None
    if t == "assignment_statement":
        return "function" if _lua_assigned_function(node) is not None else None
    if t == "field_declaration":
        return kind if _c_function_declarator(node) is not None else None
    if t in ("struct_specifier", "union_specifier", "enum_specifier", "class_specifier"):
        if node.child_by_field_name("body") is None or node.child_by_field_name("name") is None:
            return None
        return kind
    if t == "type_spec":
        inner = node.child_by_field_name("type")
        if inner is not None and inner.type == "struct_type":
            return "struct"
        if inner is not None and inner.type == "interface_type":
            return "interface"
        return "type"
    if t == "function_declaration" and spec.name == "lua":
        name = node.child_by_field_name("name")
        return "method" if name is not None and name.type == "method_index_expression" else "function"
    return kind


def _cores_in(node: Node, spec: LanguageSpec) -> list[Node]:
    """The definitions `node` is or wraps (several for `const a = () => 1, b = () => 2`)."""
    if _core_kind(node, spec) is not None:
        return [node]
    if node.type in spec.wrappers:
        found: list[Node] = []
        for child in node.named_children:
            found.extend(_cores_in(child, spec))
        return found
    return []


def _outer(core: Node, spec: LanguageSpec) -> Node:
    outer = core
    while True:
        parent = outer.parent
        if parent is None or parent.type not in spec.wrappers or len(_cores_in(parent, spec)) != 1:
            return outer
        outer = parent


def _first_node(outer: Node, spec: LanguageSpec) -> Node:
    """`outer`, or the first of the attributes (`#[derive]`) that stand right before it."""
    first = outer
    if spec.leading:
        prev = first.prev_named_sibling
        while (
            prev is not None and prev.type in spec.leading and prev.end_point[0] >= first.start_point[0] - 1
        ):
            first = prev
            prev = first.prev_named_sibling
    return first


def make_entry(core: Node, spec: LanguageSpec, parent: Entry | None) -> Entry | None:
    kind = _core_kind(core, spec)
    if kind is None:
        return None
    named = _name_of(core, spec)
    if named is None:
        return None
    name, container = named
    if kind == "function" and container is not None and spec.name == "cpp":
        kind = "method"  # `void Widget::draw() {...}`: an out-of-line member definition
    if parent is not None:
        if kind == "function" and parent.kind in CLASS_LIKE:
            kind = "method"
        if container is None and parent.kind in (*CLASS_LIKE, "namespace", "module"):
            container = parent.name
    outer = _outer(core, spec)
    return Entry(name, kind, core, outer, _first_node(outer, spec), container, parent)


def _members_body(core: Node, spec: LanguageSpec) -> Node | None:
    field_name = spec.bodies.get(core.type)
    if field_name is not None:
        return core.child_by_field_name(field_name)
    if core.type == "variable_declarator":
        value = core.child_by_field_name("value")
        if value is not None and value.type in _JS_CLASS_VALUES:
            return value.child_by_field_name("body")
    return None


def enclosing_entries(doc: ParsedDocument, start_byte: int, end_byte: int) -> list[Entry]:
    """Definitions whose range covers [start_byte, end_byte), innermost first (nested functions too)."""
    spec = spec_for(doc.language)
    if spec is None or doc.tree is None:
        return []
    root = doc.tree.root_node
    node: Node | None = root.named_descendant_for_byte_range(start_byte, end_byte)
    cores: list[Node] = []
    while node is not None and node != root:
        if _core_kind(node, spec) is not None:
            cores.append(node)
        elif node.type in spec.wrappers:
            inner = _cores_in(node, spec)
            if len(inner) == 1:
                cores.append(inner[0])
        node = node.parent
    # Build outermost first so that each entry knows its parent (which makes functions in classes methods).
    chain: list[Entry] = []
    parent: Entry | None = None
    for core in reversed(cores):
        if parent is not None and parent.node == core:
            continue
        entry = make_entry(core, spec, parent)
        if entry is not None and entry.covers(start_byte, end_byte):
            chain.append(entry)
            parent = entry
    if not chain:
        chain = _entries_by_leading_nodes(doc, spec, start_byte, end_byte)
    return list(reversed(chain))


def _entries_by_leading_nodes(doc: ParsedDocument, spec: LanguageSpec, start: int, end: int) -> list[Entry]:
    """A span on a definition's attributes (outside its node) still belongs to that definition."""
    if not spec.leading:
        return []
    outline = outline_of(doc)
    if outline is None:
        return []
    found = [e for e in outline.entries if e.covers(start, end) and e.start_byte < e.outer.start_byte]
    return found[-1:]


# --- names -----------------------------------------------------------------------------------------


def _name_of(core: Node, spec: LanguageSpec) -> tuple[str, str | None] | None:
    t = core.type
    if t == "impl_item":
        type_node = core.child_by_field_name("type")
        return (node_text(type_node), None) if type_node is not None else None
    if spec.name in ("c", "cpp") and t in ("function_definition", "field_declaration", "type_definition"):
        return _c_name(core.child_by_field_name("declarator"))
    if t == "assignment_statement":
        variables = core.named_children[0] if core.named_child_count else None
        first = variables.named_children[0] if variables is not None and variables.named_child_count else None
        return _lua_name(first)
    if t == "function_declaration" and spec.name == "lua":
        return _lua_name(core.child_by_field_name("name"))
    if t == "method_declaration":
        name = core.child_by_field_name("name")
        receiver = core.child_by_field_name("receiver")
        return (node_text(name), first_of_type(receiver, "type_identifier")) if name is not None else None
    name = core.child_by_field_name("name")
    if name is None and t == "field_definition":  # JavaScript class fields: `handler = () => {...}`
        name = core.child_by_field_name("property")
    if name is None:
        return None
    text = node_text(name)
    return (text, None) if text else None


def _c_name(node: Node | None) -> tuple[str, str | None] | None:
    """The declared name inside C/C++ declarators (`*f(int)`, `ns::A::m() const`)."""
    for _ in range(12):
        if node is None:
            return None
        if node.type in _C_NAME_TYPES:
            text = node_text(node)
            if node.type == "qualified_identifier":
                scope, _, name = text.rpartition("::")
                return name, scope or None
            return text, None
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            nxt = next(
                (c for c in node.named_children if c.type in _C_NAME_TYPES or c.type.endswith("declarator")),
                None,
            )
        node = nxt
    return None


def _c_function_declarator(node: Node) -> Node | None:
    current = node.child_by_field_name("declarator")
    for _ in range(8):
        if current is None or current.type == "function_declarator":
            return current
        current = current.child_by_field_name("declarator")
    return None


def _lua_name(node: Node | None) -> tuple[str, str | None] | None:
    if node is None:
        return None
    if node.type == "identifier":
        return node_text(node), None
    if node.type == "dot_index_expression":
        return node_text(node.child_by_field_name("field")), node_text(
            node.child_by_field_name("table")
        ) or None
    if node.type == "method_index_expression":
        return node_text(node.child_by_field_name("method")), node_text(
            node.child_by_field_name("table")
        ) or None
    return None


def _lua_assigned_function(node: Node) -> Node | None:
    values = [c for c in node.named_children if c.type == "expression_list"]
    if len(values) != 1 or values[0].named_child_count != 1:
        return None
    value = values[0].named_children[0]
    return value if value.type == "function_definition" else None


# --- variables and imports -------------------------------------------------------------------------


def _variables(node: Node, spec: LanguageSpec) -> list[tuple[str, Node, Node]]:
    """Top-level variables/constants as (name, node, outer node): useful as references, never targets."""
    lang = spec.name
    out: list[tuple[str, Node, Node]] = []
    if lang == "python":
        if node.type == "expression_statement" and node.named_child_count == 1:
            inner = node.named_children[0]
            left = inner.child_by_field_name("left") if inner.type == "assignment" else None
            if left is not None and left.type == "identifier":
                out.append((node_text(left), inner, node))
        elif node.type == "type_alias_statement":
            out.append((node_text(node.named_children[0]) if node.named_child_count else "", node, node))
    elif lang in ("javascript", "typescript", "tsx"):
        decl = node
        while decl.type in ("export_statement", "ambient_declaration"):
            inner = decl.child_by_field_name("declaration") or next(iter(decl.named_children), None)
            if inner is None:
                return out
            decl = inner
        if decl.type in ("lexical_declaration", "variable_declaration"):
            declarators = [c for c in decl.named_children if c.type == "variable_declarator"]
            for d in declarators:
                name = d.child_by_field_name("name")
                if name is not None and name.type == "identifier" and _core_kind(d, spec) is None:
                    out.append((node_text(name), d, node if len(declarators) == 1 else d))
    elif lang == "go":
        if node.type in ("const_declaration", "var_declaration"):
            specs = [c for c in node.named_children if c.type in ("const_spec", "var_spec")]
            for s in specs:
                for name in s.children_by_field_name("name"):
                    out.append((node_text(name), s, node if len(specs) == 1 else s))
    elif lang == "lua":
        statement = (
            node.named_children[0] if node.type == "variable_declaration" and node.named_child_count else node
        )
        if statement.type == "assignment_statement" and _lua_assigned_function(statement) is None:
            variables = statement.named_children[0] if statement.named_child_count else None
            for var in variables.named_children if variables is not None else []:
                named = _lua_name(var)
                if named is not None:
                    out.append((named[0], statement, node))
    elif lang in ("c", "cpp") and node.type == "declaration":
        for declarator in node.children_by_field_name("declarator"):
            if declarator.type == "init_declarator":
                declarator = declarator.child_by_field_name("declarator")
            if declarator is not None and declarator.type == "identifier":
                out.append((node_text(declarator), node, node))
    return [v for v in out if v[0]]


# --- turning entries into Definitions -------------------------------------------------------------


def make_definition(
    doc: ParsedDocument, spec: LanguageSpec, entry: Entry, path: str | None = None
) -> Definition:
    lines = doc.lines
    start = lines.point_to_offset(*entry.first.start_point)
    end = lines.point_to_offset(*entry.outer.end_point)
    text = doc.text
    while end > start and text[end - 1] in "\r\n":  # preprocessor nodes end with their newline
        end -= 1
    start_line, start_col = lines.offset_to_position(start)
    end_line = lines.offset_to_position(end)[0]
    line_prefix = lines.line_text(start_line)[:start_col]
    indent = line_prefix[: len(line_prefix) - len(line_prefix.lstrip())]
    body_text = text[start:end]
    return Definition(
        name=entry.name,
        kind=entry.kind,
        start_line=start_line,
        end_line=end_line,
        start_offset=start,
        end_offset=end,
        text=body_text,
        signature=_signature(doc, entry, start, body_text),
        docstring=_docstring(entry, spec),
        indent=indent,
        container=entry.container,
        path=path,
    )


def _body_node(core: Node) -> Node | None:
    if core.type in ("variable_declarator", "public_field_definition", "field_definition"):
        value = core.child_by_field_name("value")
        return value.child_by_field_name("body") if value is not None else None
    if core.type == "assignment_statement":
        fn = _lua_assigned_function(core)
        return fn.child_by_field_name("body") if fn is not None else None
    return core.child_by_field_name("body")


def _signature(doc: ParsedDocument, entry: Entry, start: int, text: str) -> str:
    body = _body_node(entry.node)
    if body is not None and body.start_byte > entry.start_byte and body.type != "expression_list":
        body_start = doc.lines.point_to_offset(*body.start_point)
        head = doc.text[start:body_start].rstrip()
        if head.endswith("{"):
            head = head[:-1].rstrip()
        if head and len(head) <= 600:
            return head
    first_line = text.split("\n", 1)[0].rstrip()
    return first_line[:600]


def _docstring(entry: Entry, spec: LanguageSpec) -> str | None:
    if spec.python_docstrings:
        body = entry.node.child_by_field_name("body")
        first = body.named_children[0] if body is not None and body.named_child_count else None
        if first is not None and first.type == "expression_statement" and first.named_child_count == 1:
            string = first.named_children[0]
            if string.type == "string":
                return _clean_python_string(node_text(string)) or None
        return None
    comments: list[str] = []
    node = entry.first
    prev = node.prev_sibling
    while prev is not None and prev.type in spec.comments and prev.end_point[0] >= node.start_point[0] - 1:
        comments.append(node_text(prev))
        node = prev
        prev = node.prev_sibling
        if len(comments) > 40:
            break
    if not comments:
        return None
    return _clean_comment("\n".join(reversed(comments)))[:_MAX_DOC_CHARS] or None


def _clean_python_string(literal: str) -> str:
    body = literal.lstrip("rRuUbBfF")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            body = body[len(quote) : -len(quote)]
            break
    return inspect.cleandoc(body)[:_MAX_DOC_CHARS]


_COMMENT_MARKERS = re.compile(r"^\s*(?:///?!?|/\*\*?|\*/|\*(?!/)|--\[\[|---?|#)\s?")


def _clean_comment(raw: str) -> str:
    lines = []
    for line in raw.split("\n"):
        line = line.rstrip()
        if line.endswith("*/"):
            line = line[:-2].rstrip()
        if line.endswith("]]"):
            line = line[:-2].rstrip()
        lines.append(_COMMENT_MARKERS.sub("", line, count=1))
    return "\n".join(lines).strip()
