"""One consistent token stream across retries and fallbacks.

When a stream breaks mid-answer the pool asks again (same endpoint or the next in the chain), and the
new attempt starts from the first token. Whoever consumes the tokens live (the chat API's SSE stream)
cannot take back what it already forwarded, so the new attempt's tokens are matched against it: the
replayed prefix is swallowed, only the continuation goes on, and an attempt that says something else
goes silent (the caller then sees a final text that does not extend what was streamed, and says so).
"""

from __future__ import annotations

from .base import TokenCallback, emit


class ReplayGuard:
    """Wraps a token callback; `new_attempt()` is called by the pool before every backend call."""

    def __init__(self, inner: TokenCallback) -> None:
        self.inner = inner
        self.forwarded = ""
        self._attempt = ""
        self.diverged = False

    def new_attempt(self) -> None:
        self._attempt = ""

    async def __call__(self, fragment: str) -> None:
        self._attempt += fragment
        sent = self.forwarded
        if len(self._attempt) <= len(sent):
            if not sent.startswith(self._attempt):
                self.diverged = True
            return
        if self.diverged or not self._attempt.startswith(sent):
            self.diverged = True
            return
        self.forwarded = self._attempt
        await emit(self.inner, self._attempt[len(sent):])
