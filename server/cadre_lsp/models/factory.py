"""Build a backend from its endpoint config; backends are imported lazily so optional extras stay optional."""

from __future__ import annotations

import importlib

from ..config.schema import EndpointConfig
from .base import ChatBackend, ModelError

_BACKENDS = {
    "openai": ("openai_backend", "OpenAIBackend", None),
    "ollama": ("ollama_backend", "OllamaBackend", None),
    "mlx": ("mlx_backend", "MLXBackend", "pip install 'cadre-lsp[mlx]'"),
    "embedded": ("embedded", "EmbeddedBackend", "pip install 'cadre-lsp[embedded]'"),
    "scripted": ("scripted", "ScriptedBackend", None),
}


def make_backend(name: str, cfg: EndpointConfig) -> ChatBackend:
    """Instantiate endpoint `name`; a missing optional dependency is a one-line error with the fix."""
    try:
        module_name, cls_name, hint = _BACKENDS[cfg.kind]
    except KeyError:
        raise ModelError(f"endpoint {name!r}: unknown backend kind {cfg.kind!r} "
                         f"(expected one of {', '.join(_BACKENDS)})", endpoint=name) from None
    try:
        module = importlib.import_module(f"{__package__}.{module_name}")
    except ImportError as exc:
        extra = f"; install it with: {hint}" if hint else ""
        raise ModelError(f"endpoint {name!r}: backend {cfg.kind!r} unavailable ({exc.name or exc}){extra}",
                         endpoint=name) from None
    return getattr(module, cls_name)(name, cfg)
