"""Progress of one job: work-done progress where the client has it, messages where it does not.

With `window.workDoneProgress` the job gets a fresh uuid token (pygls never forgets tokens and refuses a
reused one), a cancellable begin, one report per pipeline step (and tokens/s while a model streams),
and an end that is always sent, from `finally`, with a one-line summary. Clients without it, or that
refuse the token, get a showMessage when the job starts and ends and logMessages in between.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ..core import ProgressEvent
from .client import ClientCaps, ask, log_message, show_message

log = logging.getLogger(__name__)

MIN_REPORT_INTERVAL_S = 0.2
"""Reports of the same step closer together than this are dropped (a step change always goes out)."""


class JobProgress:
    def __init__(self, ls: LanguageServer, caps: ClientCaps, title: str) -> None:
        self.ls = ls
        self.caps = caps
        self.title = title
        self.token: str | None = None
        self._began = False
        self._ended = False
        self._last_step: str | None = None
        self._last_report = 0.0
        self._last_pct = 0

    async def begin(self, message: str) -> str | None:
        """Create the token and send begin; returns the token (None when degraded to messages)."""
        if self.caps.work_done_progress:
            token = str(uuid.uuid4())
            try:
                await ask(self.ls, types.WINDOW_WORK_DONE_PROGRESS_CREATE,
                          types.WorkDoneProgressCreateParams(token=token), timeout=10)
                self.token = token
            except asyncio.CancelledError:
                # The client has (or will have) this token: open and close it, or its UI (Neovim 0.7)
                # keeps an "empty title" entry forever.
                self.token, self._began = token, True
                self.ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=self.title,
                                                                                    message=message))
                self.end("cancelled", failed=True)
                raise
            except Exception as exc:  # a refused token degrades, it does not fail the job
                log.info("client refused progress token (%s); using messages", exc)
        self._began = True
        if self.token is not None:
            self.ls.work_done_progress.begin(self.token, types.WorkDoneProgressBegin(
                title=self.title, message=message, cancellable=True))
        else:
            show_message(self.ls, f"{self.title}: {message}")
        return self.token

    def report(self, event: ProgressEvent) -> None:
        if not self._began or self._ended:
            return
        now = time.monotonic()
        same_step = event.step == self._last_step
        if same_step and now - self._last_report < MIN_REPORT_INTERVAL_S:
            return
        self._last_step, self._last_report = event.step, now
        message = event.message
        if event.tokens_per_s and "tok/s" not in message:
            message = f"{message}, {event.tokens_per_s:.1f} tok/s"
        if self.token is None:
            log_message(self.ls, f"{self.title}: {message}")
            return
        pct = event.percentage
        if pct is not None:
            # Percentages must not go backwards (VS Code's bar would jump); clamp to what was shown.
            pct = max(self._last_pct, min(100, pct))
            self._last_pct = pct
        self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(
            message=message, percentage=pct, cancellable=True))

    def end(self, summary: str, *, failed: bool = False) -> None:
        """Always safe to call (also when begin never ran or end already went out)."""
        if self._ended or not self._began:
            return
        self._ended = True
        if self.token is not None:
            try:
                self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=summary))
            except Exception:  # the transport may be gone at shutdown
                log.debug("could not end progress", exc_info=True)
            self.ls.work_done_progress.tokens.pop(self.token, None)
        else:
            show_message(self.ls, f"{self.title}: {summary}",
                         types.MessageType.Warning if failed else types.MessageType.Info)
