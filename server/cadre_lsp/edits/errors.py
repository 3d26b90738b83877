"""Why an edit was refused. Messages are shown to the user and sent back to the model as they are."""

from __future__ import annotations

from ..core import CadreError


class EditError(CadreError):
    """An edit cannot be applied as asked (not found, ambiguous, overlapping, no-op, bad path)."""


class PathRefused(EditError):
    """The path is outside the workspace, protected, or otherwise off limits."""


class ScopeError(EditError):
    """The edit targets a file other than the one the job was asked about."""


class EditConflict(EditError):
    """The text the edit was built against changed where the edit applies; it is not forced."""
