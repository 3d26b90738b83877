"""How many tokens a piece of prompt text costs, roughly, and how to cut text to a budget.

No tokenizer is loaded: the estimate is characters / 3.5, rounded up. BPE tokenizers of code models
(Qwen2.5-Coder, Llama 3, DeepSeek-Coder) spend 3-4 characters per token on typical source; 3.5 errs
slightly on the generous side for indented code, whose runs of spaces merge into single tokens, and
slightly on the stingy side for dense symbols. Budgets are guidance for prompt size, not hard limits of
the model, so this is close enough and costs nothing.
"""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 3.5


def estimate_tokens(text: str) -> int:
    """Approximate token count of `text` (ceil(chars / 3.5))."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def chars_for(tokens: int) -> int:
    """The most characters whose estimate stays within `tokens`."""
    return max(0, math.floor(tokens * CHARS_PER_TOKEN))


def trim_lines_around(
    lines: list[str], focus_start: int, focus_end: int, max_chars: int, marker: str
) -> list[str]:
    """Keep the lines nearest the focus (inclusive indices) within `max_chars`, marking cuts with `marker`.

    The first line (usually a signature) is kept when it fits, because it says what the code is.
    """
    if not lines:
        return []
    focus_start = max(0, min(focus_start, len(lines) - 1))
    focus_end = max(focus_start, min(focus_end, len(lines) - 1))
    cost = lambda line: len(line) + 1  # noqa: E731 - newline included
    lo, hi = focus_start, focus_start  # inclusive window
    used = cost(lines[lo])
    if used > max_chars:
        return [lines[lo][: max(0, max_chars - 1)]]
    reserve = 2 * (len(marker) + 1)
    # Grow downward over the focus first, then alternate up and down.
    while hi < focus_end and used + cost(lines[hi + 1]) + reserve <= max_chars:
        hi += 1
        used += cost(lines[hi])
    head_kept = False
    if lo > 0 and used + cost(lines[0]) + reserve <= max_chars:
        used += cost(lines[0])
        head_kept = True
    grew = True
    while grew:
        grew = False
        lower_bound = 1 if head_kept else 0
        if lo - 1 >= lower_bound and used + cost(lines[lo - 1]) + reserve <= max_chars:
            lo -= 1
            used += cost(lines[lo])
            grew = True
        if hi + 1 < len(lines) and used + cost(lines[hi + 1]) + reserve <= max_chars:
            hi += 1
            used += cost(lines[hi])
            grew = True
    out: list[str] = []
    if head_kept:
        out.append(lines[0])
        if lo > 1:
            out.append(marker)
    elif lo > 0:
        out.append(marker)
    out.extend(lines[lo : hi + 1])
    if hi < len(lines) - 1:
        out.append(marker)
    return out
