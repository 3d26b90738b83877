"""The `rewrite` edit format: the model returns the whole block, the server synthesises the Edit calls.

Small models rewrite a function far better than they quote exact text (DESIGN.md "Edit formats":
Qwen2.5-Coder-1.5B 5/5 by rewrite vs 3/5 by Edit calls). `extract_code_block` takes the block out
of the reply; `rewrite_to_edits` diffs it against the original and emits minimal `Edit` calls whose
`old_string` is unique in the original block, so the rest of the pipeline (validation, scope, path
and conflict checks, WorkspaceEdit) is the same as for a model that emitted the calls itself.
"""

from __future__ import annotations

import difflib

from ..core import CadreError
from .fences import Fence, canonical_language, fenced_blocks, strip_chatter
from .indent import indent_width, shift, uses_tabs
from .types import ToolCall

_CODE_STARTS = (
    "def", "class", "async", "await", "return", "if", "elif", "else", "for", "while", "try", "except",
    "finally", "with", "import", "from", "fn", "pub", "func", "function", "const", "let", "var", "public",
    "private", "protected", "static", "int", "void", "struct", "impl", "package", "use", "raise", "yield",
    "assert", "pass", "print", "export", "type", "interface", "enum", "match", "case", "switch", "do",
    "package", "local", "end",
)


class RewriteError(CadreError):
    """The rewrite cannot be turned into edits (e.g. the original block is empty)."""


def extract_code_block(text: str, language: str | None = None, *, like: str | None = None) -> str | None:
    """The code block of a reply, or None when there is none.

    Among fenced blocks, those tagged with `language` (or untagged) are preferred. With `like` (the
    original block) the one most similar to it wins, skipping verbatim copies of it (models often quote
    the original before the fix); otherwise the longest, the last on ties. A block whose closing fence
    is missing runs to the end of the reply. A reply without fences is taken as code once leading and
    trailing prose lines ("Here is the fixed function:") are dropped; all-prose replies give None.
    """
    text = strip_chatter(text or "")
    fences = [f for f in fenced_blocks(text) if f.content.strip()]
    if fences:
        return _best_fence(fences, language, like).content.rstrip() + "\n"
    lines = text.strip("\n").split("\n")
    while lines and (not lines[0].strip() or _looks_like_prose(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or _looks_like_prose(lines[-1])):
        lines.pop()
    if not lines:
        return None
    return "\n".join(lines).rstrip() + "\n"


def fit_rewrite(original_block: str, new_block: str) -> str:
    """The model's block re-indented to the original's indentation, with the original's line endings
    (as "\\n") and the same leading/trailing blank lines.

    The first line and the body are shifted separately: a block cut from a parse tree starts at the
    definition's column (no indentation on its first line, full indentation after), and models return
    either that or a fully dedented copy.
    """
    orig = original_block.replace("\r\n", "\n")
    new = new_block.replace("\r\n", "\n").strip("\n")
    o_lines, n_lines = orig.split("\n"), new.split("\n")
    o_code = [ln for ln in o_lines if ln.strip()]
    n_code = [ln for ln in n_lines if ln.strip()]
    if o_code and n_code:
        tabs = uses_tabs(o_code)
        d_first = indent_width(o_code[0]) - indent_width(n_code[0])
        d_body = d_first
        if len(o_code) > 1 and len(n_code) > 1:
            d_body = min(map(indent_width, o_code[1:])) - min(map(indent_width, n_code[1:]))
        first = next(i for i, ln in enumerate(n_lines) if ln.strip())
        n_lines = [shift(ln, d_first if i == first else d_body if i > first else 0, tabs)
                   for i, ln in enumerate(n_lines)]
        n_lines = [ln.rstrip() if not ln.strip() else ln for ln in n_lines]
    lead = len(orig) - len(orig.lstrip("\n"))
    trail = len(orig) - len(orig.rstrip("\n"))
    return "\n" * lead + "\n".join(n_lines) + "\n" * trail


def rewrite_to_edits(path: str, original_block: str, new_block: str) -> list[ToolCall]:
    """Minimal `Edit` calls that turn `original_block` into the (re-indented) `new_block`.

    Each changed run of lines becomes one call; context lines are added around it until its
    `old_string` occurs exactly once in the original block, and runs that meet are merged. Pass the
    block's span to `edits.apply_edit_calls` so the calls are located inside it. No change gives [].
    A `new_block` that is still wrapped in a fence is unwrapped first.
    """
    orig = original_block.replace("\r\n", "\n")
    if not orig.strip():
        raise RewriteError("the original block is empty; there is nothing to rewrite")
    if new_block.lstrip().startswith(("```", "~~~")):  # handed the fenced reply itself
        new_block = extract_code_block(new_block) or ""
    new = fit_rewrite(orig, new_block)
    if new == orig:
        return []
    a, b = _keepends(orig), _keepends(new)
    # Lines that differ only in trailing whitespace count as equal and keep the file's version.
    matcher = difflib.SequenceMatcher(None, [_key(ln) for ln in a], [_key(ln) for ln in b], autojunk=False)
    ops = matcher.get_opcodes()
    hunks = [[i1, i2] for tag, i1, i2, _j1, _j2 in ops if tag != "equal"]
    while True:
        hunks = _merge_touching(hunks)
        grew = False
        for k, h in enumerate(hunks):
            if _unique(orig, "".join(a[h[0] : h[1]])):
                continue
            lo = hunks[k - 1][1] if k > 0 else 0
            hi = hunks[k + 1][0] if k + 1 < len(hunks) else len(a)
            if h[0] > lo:
                h[0] -= 1
                grew = True
            if h[1] < hi:
                h[1] += 1
                grew = True
        if not grew:
            break
    calls = []
    for i1, i2 in hunks:
        old, new_text = "".join(a[i1:i2]), _render(ops, a, b, i1, i2)
        if old != new_text:
            calls.append(ToolCall("Edit", {"path": path, "old_string": old, "new_string": new_text},
                                  source="rewrite"))
    return calls


def _render(ops: list[tuple[str, int, int, int, int]], a: list[str], b: list[str], i1: int, i2: int) -> str:
    """The new text for original lines [i1, i2): unchanged lines from the original, changed ones from b."""
    out: list[str] = []
    for tag, ai1, ai2, bj1, bj2 in ops:
        if tag == "equal":
            lo, hi = max(ai1, i1), min(ai2, i2)
            if lo < hi:
                out.extend(a[lo:hi])
        elif i1 <= ai1 and ai2 <= i2:
            out.extend(b[bj1:bj2])
    return "".join(out)


def _key(line: str) -> str:
    """A line without trailing whitespace, but still telling a last line without "\\n" apart."""
    return line.rstrip() + ("\n" if line.endswith("\n") else "")


def _keepends(text: str) -> list[str]:
    """Lines with their "\\n" (only "\\n" splits, unlike str.splitlines)."""
    parts = [p + "\n" for p in text.split("\n")]
    parts[-1] = parts[-1][:-1]
    return parts if parts[-1] else parts[:-1]


def _merge_touching(hunks: list[list[int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for h in hunks:
        if out and h[0] <= out[-1][1]:
            out[-1] = [out[-1][0], max(h[1], out[-1][1])]
        else:
            out.append(list(h))
    return out


def _unique(block: str, needle: str) -> bool:
    if not needle.strip():
        return False
    first = block.find(needle)
    return first >= 0 and block.find(needle, first + 1) < 0


def _best_fence(fences: list[Fence], language: str | None, like: str | None) -> Fence:
    want = canonical_language(language) if language else None
    pool = [f for f in fences if want and canonical_language(f.language) == want]
    pool = pool or [f for f in fences if not f.language] or fences
    if like is not None:
        target = like.replace("\r\n", "\n").strip().split("\n")

        def score(f: Fence) -> float:
            lines = f.content.strip().split("\n")
            if [ln.strip() for ln in lines] == [ln.strip() for ln in target]:
                return -1.0  # a verbatim quote of the original
            return difflib.SequenceMatcher(None, target, lines, autojunk=False).ratio()

        return max(reversed(pool), key=score)
    return max(reversed(pool), key=lambda f: len(f.content.strip()))


def _looks_like_prose(line: str) -> bool:
    s = line.strip()
    if not s or line[:1] in (" ", "\t") or s.startswith(("#", "//", "/*", "*", "@", '"""', "'''", "--")):
        return False
    words = s.split()
    if len(words) < 3 or words[0].rstrip(":(").lower() in _CODE_STARTS:
        return False
    if sum(s.count(c) for c in "=(){}[];<>") > 2:
        return False
    return s[0].isupper() or s.endswith((".", ":", "!", "?"))
