"""Plain data that flows through the pipeline.

Nothing here knows about LSP: the CLI, the tests, the benchmarks and the language server all build a
`Request`, hand it to `pipeline.run`, and read a `Result`. Lines and columns are 0-based; columns count
Python string code points (the LSP layer converts to the client's position encoding).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .text import line_table

Action = Literal["explain", "implement", "fix", "review"]
ACTIONS: tuple[Action, ...] = ("explain", "implement", "fix", "review")
Severity = Literal["error", "warning", "info", "hint"]


@dataclass(frozen=True)
class Span:
    """A region of a document: 0-based lines, columns in code points, end exclusive."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int

    @classmethod
    def lines(cls, start_line: int, end_line: int) -> Span:
        """Whole lines start_line..end_line inclusive (what `PATH:START-END` on the CLI means)."""
        return cls(start_line, 0, end_line + 1, 0)

    def to_offsets(self, text: str) -> tuple[int, int]:
        """Character offsets of this span in `text`, clamped to the text."""
        return offset_of(text, self.start_line, self.start_col), offset_of(text, self.end_line, self.end_col)


def offset_of(text: str, line: int, col: int) -> int:
    """Offset of (line, col) in text; positions past the end clamp to the end (as LSP says they should).
    Lines end at "\\r\\n", "\\r" or "\\n", as the editor counts them (text.py)."""
    return line_table(text).offset(line, col)


def position_of(text: str, offset: int) -> tuple[int, int]:
    """(line, col) of a character offset in text."""
    return line_table(text).position(offset)


@dataclass
class Request:
    """One thing the user asked for, with the document text as the job read it."""

    action: Action
    path: str
    text: str
    span: Span
    version: int | None = None
    language: str | None = None
    instruction: str = ""
    pattern: str | None = None
    workspace_root: str | None = None
    task_type: str | None = None
    """Per-request routing override (`task_type`), e.g. "code_generation"."""


@dataclass(frozen=True)
class TextChange:
    """Replace text[start:end] (character offsets in the text the job read) with new_text."""

    start: int
    end: int
    new_text: str


@dataclass
class FileEdit:
    """All changes to one file, built against the text (and editor version) the job read."""

    path: str
    base_text: str
    changes: list[TextChange]
    version: int | None = None
    create: bool = False

    def apply(self) -> str:
        """The text after the changes (changes must not overlap)."""
        out = self.base_text
        for ch in sorted(self.changes, key=lambda c: c.start, reverse=True):
            out = out[: ch.start] + ch.new_text + out[ch.end :]
        return out


@dataclass
class Finding:
    """One review finding; lines are 0-based inclusive."""

    start_line: int
    end_line: int
    severity: Severity
    message: str
    suggestion: str | None = None


@dataclass
class Route:
    """Where the router sent a request and why (shown to the user)."""

    task_type: str
    role: str
    pattern: str
    why: str


@dataclass
class StepRecord:
    """One model call or check made by a pattern, for the summary and the stats."""

    name: str
    role: str
    model: str
    seconds: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ok: bool = True
    note: str = ""
    cached_tokens: int = 0
    """Prompt tokens the backend served from its KV cache (0 where it does not say)."""


@dataclass
class Result:
    """What a job produced. `error` set means nothing usable; `partial` means some steps failed."""

    action: Action
    route: Route | None = None
    text: str = ""
    edits: list[FileEdit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""
    partial: bool = False
    error: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    """What running the code on its evidence showed (fix/implement): summary, per-example results."""


@dataclass
class ProgressEvent:
    """A progress report: a line of text plus optional structured detail."""

    message: str
    percentage: int | None = None
    step: str | None = None
    role: str | None = None
    model: str | None = None
    tokens_per_s: float | None = None


ProgressCallback = Callable[[ProgressEvent], Awaitable[None]]


async def no_progress(_event: ProgressEvent) -> None:
    """A progress callback that drops everything (for callers that do not show progress)."""


class CadreError(Exception):
    """A user-facing error: its message is shown as is, without a traceback."""
