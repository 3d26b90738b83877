"""Small helpers over tree-sitter nodes shared by the outline and import readers."""

from __future__ import annotations

import re

from tree_sitter import Node

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def node_text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def first_of_type(node: Node | None, node_type: str) -> str | None:
    if node is None:
        return None
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == node_type:
            return node_text(current)
        stack.extend(reversed(current.named_children))
    return None


def descendants_of_type(node: Node, node_type: str) -> list[Node]:
    out = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == node_type:
            out.append(current)
            continue
        stack.extend(reversed(current.named_children))
    return out


def words(data: bytes) -> frozenset[str]:
    return frozenset(m.decode() for m in _WORD.findall(data))
