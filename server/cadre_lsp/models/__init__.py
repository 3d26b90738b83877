"""Model backends behind one async interface, and the role pool that routes, retries and falls back."""

from .base import ChatBackend, Completion, Health, ModelError
from .pool import ModelPool, RoleFailed

__all__ = ["ChatBackend", "Completion", "Health", "ModelError", "ModelPool", "RoleFailed"]
