"""Build a backend from its endpoint config; backends are imported lazily so optional extras stay optional."""

from __future__ import annotations

import importlib

from ..config.schema import EndpointConfig
from .base import ChatBackend, ModelError

_BACKENDS = {
    "openai": ("openai_backend", "OpenAIBackend", None),
    "ollama": ("ollama_backend", "OllamaBackend", None),
    "mlx": ("mlx_backend", "MLXBackend", "pip install 'cadre-lsp[mlx]'"),
    "embedded": ("hosted", "HostedBackend", "pip install 'cadre-lsp[embedded]'"),
    "scripted": ("scripted", "ScriptedBackend", None),
}


def make_backend(name: str, cfg: EndpointConfig) -> ChatBackend:
    """Instantiate endpoint `name`; a missing optional dependency is a one-line error with the fix.
    `embedded` runs in a supervised model host (hosted.py) unless `host = "in-process"`."""
    if cfg.base_urls:  # replicas: one backend per base URL behind a least-in-flight chooser
        from .replicas import ReplicaBackend

        return ReplicaBackend(name, cfg, make_backend)
    try:
        module_name, cls_name, hint = _BACKENDS[cfg.kind]
        if cfg.kind == "embedded" and cfg.host == "in-process":  # llama.cpp in this process (no child)
            module_name, cls_name = "embedded", "EmbeddedBackend"
    except KeyError:
        raise ModelError(f"endpoint {name!r}: unknown backend kind {cfg.kind!r} "
                         f"(expected one of {', '.join(_BACKENDS)})", endpoint=name) from None
    try:  # a backend may find its optional dependency missing on import or when it is built
        return getattr(importlib.import_module(f"{__package__}.{module_name}"), cls_name)(name, cfg)
    except ImportError as exc:
        extra = f"; install it with: {hint}" if hint else ""
        raise ModelError(f"endpoint {name!r}: backend {cfg.kind!r} unavailable ({exc.name or exc}){extra}",
                         endpoint=name) from None
