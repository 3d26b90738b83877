"""Chat over the patterns: OpenAI-style messages in, an answer (text or tool calls) out.

Plain data and async callbacks only (no HTTP types), so the HTTP API, the CLI and tests drive the
same code: `run_chat(engine, ChatRequest(...), on_text=..., progress=...) -> ChatAnswer`.
"""

from .run import model_names, run_chat
from .types import ChatAnswer, ChatError, ChatRequest

__all__ = ["ChatAnswer", "ChatError", "ChatRequest", "model_names", "run_chat"]
