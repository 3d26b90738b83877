"""`cadre-lsp api`: the patterns as models of an OpenAI-compatible HTTP API.

The HTTP layer only: the chat pipeline it serves lives in `cadre_lsp.chat`.
"""

from .app import create_app
from .serve import check_bind, serve

__all__ = ["check_bind", "create_app", "serve"]
