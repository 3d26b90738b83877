"""Hover: a short explanation of the definition around the cursor, bounded in time, cached by content.

The cache key is a hash of the enclosing definition's text (tree-sitter) plus the cursor's position
inside it, so the answer survives edits elsewhere in the file and a repeat hover is instant. When the
model is slower than `hover.budget_ms` the hover says "thinking… hover again" and the answer keeps
coming in the background, into the cache, for the next hover.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

THINKING = "*cadre: thinking… hover again in a moment*"
CACHE_SIZE = 256


def definition_key(parsed: Any, text: str, offset: int) -> str:
    """Hash of the enclosing definition's text and the cursor's place in it (falls back to the line)."""
    import hashlib  # here, not at the top: ~6 ms of server start-up for the first hover

    try:
        from ..context.outline import enclosing_entries

        if parsed is not None and parsed.text == text and parsed.tree is not None:
            cursor = parsed.lines.offset_to_byte(offset)
            entries = enclosing_entries(parsed, cursor, cursor)
            if entries:
                e = entries[0]
                body = parsed.source[e.start_byte : e.end_byte]
                return hashlib.sha256(body + b"\0" + str(cursor - e.start_byte).encode()).hexdigest()
    except Exception:  # a parser problem only costs cache precision
        log.debug("hover key: no definition", exc_info=True)
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : len(text) if end < 0 else end]
    return hashlib.sha256(f"{line}\0{offset - start}".encode()).hexdigest()


class HoverCache:
    """Answers by key, plus the model calls still running for keys not answered yet."""

    def __init__(self, spawn: Callable[[Awaitable[Any]], asyncio.Task[Any]]) -> None:
        self._spawn = spawn
        self._answers: OrderedDict[str, str] = OrderedDict()
        self._pending: dict[str, asyncio.Task[str]] = {}

    def cached(self, key: str) -> str | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    async def get(self, key: str, produce: Callable[[], Awaitable[str]], budget_s: float) -> str | None:
        """The answer for `key` within `budget_s`; THINKING if it is still coming; None if the model failed."""
        answer = self.cached(key)
        if answer is not None:
            return answer
        task = self._pending.get(key)
        if task is None:
            task = self._spawn(self._produce(key, produce))
            self._pending[key] = task
        await asyncio.wait({task}, timeout=budget_s)
        if not task.done():
            return THINKING
        if task.cancelled() or task.exception() is not None:
            return None
        return task.result() or None

    async def _produce(self, key: str, produce: Callable[[], Awaitable[str]]) -> str:
        try:
            answer = (await produce()).strip()
        except Exception as exc:  # a failed hover is no hover, not an error popup
            log.info("hover failed: %s", exc)
            return ""
        finally:
            self._pending.pop(key, None)
        if answer:
            self._answers[key] = answer
            while len(self._answers) > CACHE_SIZE:
                self._answers.popitem(last=False)
        return answer

    def clear(self) -> None:
        self._answers.clear()
