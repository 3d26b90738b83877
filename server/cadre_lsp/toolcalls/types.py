"""The parsed shape of a model's tool call, shared by the parser, the validator and the edit layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolCall:
    """One tool call, with canonical tool and argument names (see `normalize.py`).

    `error` is set when the model clearly meant a call but it could not be read (truncated or broken
    JSON); such calls are reported back to the model, never executed. `raw` is the source snippet and
    `source` names the format it came in (native, hermes, fence, bare, ...); neither takes part in
    equality, so tests and de-duplication compare what the call does, not how it was spelt.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    raw: str = field(default="", compare=False, repr=False)
    source: str = field(default="", compare=False)


@dataclass
class Extraction:
    """The calls that passed validation, and the ones that did not with the reason for each.

    A rejected entry is `(call, reason)`, or `(snippet, reason)` when nothing call-shaped could be
    recovered. `feedback()` is the text to send back to the model (once) to ask for corrected calls.
    """

    calls: list[ToolCall] = field(default_factory=list)
    rejected: list[tuple[ToolCall | str, str]] = field(default_factory=list)

    def feedback(self) -> str:
        """A short message listing each rejected call and why, for one retry round with the model."""
        from .tool_prompts import REJECTED_CALL, RETRY_REJECTED

        lines = []
        for item, reason in self.rejected:
            label = (item.name or "call") if isinstance(item, ToolCall) else "output"
            lines.append(REJECTED_CALL.format(label=label, reason=reason))
        return RETRY_REJECTED.format(reasons="\n".join(lines)) if lines else ""
