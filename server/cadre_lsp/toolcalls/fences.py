"""Markdown fenced code blocks in model output, and the cleaning every reply needs first.

Models wrap almost everything in ``` fences (the 0.5B and 1.5B Qwen coders did so for 5/5 tool-call
replies, measured here), forget the closing fence when they run out of tokens, and put
`<think>` blocks and chat-template tokens around the answer. These helpers deal with that once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\n`]*)$")
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.S | re.I)
_THINK_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.I)
_THINK_CLOSE = re.compile(r"</(think|thinking|reasoning)>", re.I)
_SPECIAL = re.compile(
    r"<\|(?:im_end|im_start|eot_id|eom_id|end|endoftext|start_header_id|end_header_id|assistant)\|>"
    r"|<｜end▁of▁sentence｜>|</s>"
)

LANGUAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "python": ("python", "py", "python3", "py3", "pyi"),
    "javascript": ("javascript", "js", "jsx", "node", "mjs", "cjs"),
    "typescript": ("typescript", "ts", "tsx"),
    "cpp": ("cpp", "c++", "cxx", "cc", "hpp", "hxx"),
    "csharp": ("csharp", "cs", "c#"),
    "rust": ("rust", "rs"),
    "go": ("go", "golang"),
    "shell": ("shell", "sh", "bash", "zsh", "console"),
    "ruby": ("ruby", "rb"),
    "kotlin": ("kotlin", "kt", "kts"),
    "markdown": ("markdown", "md"),
    "yaml": ("yaml", "yml"),
    "json": ("json", "jsonc", "json5"),
}
_CANON = {alias: lang for lang, aliases in LANGUAGE_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class Fence:
    """One fenced block: its info-string language (lower case, may be ""), content, and span in the text."""

    language: str
    content: str
    start: int
    end: int
    closed: bool


def canonical_language(tag: str | None) -> str:
    """`py3` -> `python`; unknown tags come back lower-cased."""
    tag = (tag or "").strip().lower()
    return _CANON.get(tag, tag)


def strip_chatter(text: str) -> str:
    """Drop think blocks and chat-template tokens.

    A `</think>` with no opening tag (chat templates that open the block in the prompt) drops all
    before it; an unclosed `<think>` drops all after it: text written while thinking is a draft, and
    a draft tool call must not run.
    """
    text = _SPECIAL.sub("\n", text)
    text = _THINK.sub("", text)
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    m = _THINK_OPEN.search(text)
    if m:
        text = text[: m.start()]
    return text


def fenced_blocks(text: str) -> list[Fence]:
    """Every fenced block in order. A block with no closing fence runs to the end of the text.

    A one-line block (```json {...}```) is also accepted, since models emit it.
    """
    out: list[Fence] = []
    lines = text.splitlines(keepends=True)
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line)
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        m = _FENCE_OPEN.match(line)
        if not m:
            inline = _inline_fence(line)
            if inline:
                lang, content = inline
                out.append(Fence(lang, content, offsets[i], offsets[i] + len(lines[i]), True))
            i += 1
            continue
        marker, info = m.group(1), m.group(2).strip()
        lang, _, rest = info.partition(" ")
        if lang.startswith(("{", "[")):  # ```{"name": ...} on the opening line
            lang, rest = "", info
        body: list[str] = [rest + "\n"] if rest.startswith(("{", "[")) else []
        j = i + 1
        closed = False
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(marker[0] * len(marker)) and not stripped.strip(marker[0]):
                closed = True
                break
            if stripped.endswith(marker) and stripped.startswith(("{", "[", "}", "]")):
                body.append(lines[j].rstrip().removesuffix(marker) + "\n")  # ...}``` closing on a code line
                closed = True
                break
            body.append(lines[j])
            j += 1
        end = offsets[j] + len(lines[j]) if j < len(lines) else len(text)
        content = "".join(body)
        if content.endswith("\n"):
            content = content[:-1]
        if content.endswith("\r"):
            content = content[:-1]
        out.append(Fence(lang.lower(), content, offsets[i], end, closed))
        i = j + 1
    return out


def _inline_fence(line: str) -> tuple[str, str] | None:
    m = re.match(r"^\s*```([\w+#.-]*)\s*([\[{].*[\]}])\s*```\s*$", line)
    if not m:
        return None
    return m.group(1).lower(), m.group(2)
