"""pygls 2.1: a form feed (or U+2028, \\x1c-\\x1e, \\x85) in a document moves every later line by one.

Run: python repro_form_feed_lines.py   (needs only pygls and lsprotocol)

LSP 3.17 says line breaks are "\\n", "\\r\\n" and "\\r" only. pygls' `TextDocument` splits lines with
`str.splitlines`, which also breaks at form feeds (common in Emacs-edited C, Lisp and Python files:
`^L` page breaks), U+2028/U+2029 and a few control characters. So an incremental didChange after such a
character is applied one line too early, the server's copy of the buffer silently drifts from the
editor's, and every position the server computes from it (diagnostics, workspace/applyEdit ranges)
lands on the wrong line. Expected: split only at \\n, \\r\\n and \\r (e.g. re.split(r"(?<=\\r\\n|\\r(?!\\n)|\\n)")).
"""

from __future__ import annotations

import sys

from lsprotocol import types
from pygls.workspace import TextDocument

TEXT = "page_one = 1\f\npage_two = 2\nlast = 3\n"


def main() -> int:
    doc = TextDocument("file:///tmp/ff.py", TEXT, version=1)
    # The editor (by LSP's rules) sees line 0 "page_one = 1\f", line 1 "page_two = 2", line 2 "last = 3".
    # It inserts "# " at the start of line 2 (the `last = 3` line) and tells the server so:
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(line=2, character=0), end=types.Position(line=2, character=0)),
        text="# ")
    doc.apply_change(change)
    editor = "page_one = 1\f\npage_two = 2\n# last = 3\n"
    print("pygls lines:", doc.lines)
    print("pygls text :", repr(doc.source))
    print("editor text:", repr(editor))
    offset = doc.offset_at_position(types.Position(line=2, character=0))
    print("offset_at_position(line 2):", offset, "expected", editor.index("# last"))
    bug = doc.source != editor
    print("BUG REPRODUCED: the change landed on the wrong line" if bug else "not reproduced")
    return 0 if bug else 1


if __name__ == "__main__":
    sys.exit(main())
