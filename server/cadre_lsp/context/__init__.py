"""Code context from tree-sitter: what a small model needs to see, and checks of what it wrote.

- `DocumentStore` keeps open documents parsed, reparsing incrementally on each change.
- `extract_context` finds the definition enclosing a span, the imports and definitions it uses, and
  renders them to a token budget (`CodeContext.render`).
- `SymbolIndex` finds definitions elsewhere in the workspace.
- `syntax_errors` / `check_edit` report syntax errors (only new ones, for an edit).
- `ReviewTracker` tells which definitions changed since the last review.

Grammars come from installed wheels and are never downloaded at run time (see `grammars`); languages
without one still work, with line windows instead of definitions.
"""

from .budget import CHARS_PER_TOKEN, estimate_tokens
from .documents import DocumentStore, ParsedDocument, parse_document, parse_text
from .extract import CodeContext, extract_context
from .grammars import SUPPORTED, grammar, grammar_status, language_for, new_parser, normalize_language
from .outline import Definition, outline_of
from .review import ReviewTracker
from .symbols import SymbolIndex, shared_index
from .syntax import SyntaxIssue, can_check, check_edit, syntax_errors

__all__ = [
    "CHARS_PER_TOKEN",
    "SUPPORTED",
    "CodeContext",
    "Definition",
    "DocumentStore",
    "ParsedDocument",
    "ReviewTracker",
    "SymbolIndex",
    "SyntaxIssue",
    "can_check",
    "check_edit",
    "estimate_tokens",
    "extract_context",
    "grammar",
    "grammar_status",
    "language_for",
    "new_parser",
    "normalize_language",
    "outline_of",
    "parse_document",
    "parse_text",
    "shared_index",
    "syntax_errors",
]
