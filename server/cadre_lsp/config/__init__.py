"""Configuration: typed schema (schema.py) and layered loading (loader.py).

The names below are loaded on first use (PEP 562): the language server answers `initialize` before it
needs any of them, and attrs classes, cattrs and TOML cost it ~40 ms of start-up otherwise.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

WORKSPACE_FILE = ".cadre.toml"
"""A project's own layer, at the workspace root (the server watches it where the client can)."""

_FROM = {"ConfigError": "loader", "Layer": "loader", "build": "loader", "dict_layer": "loader",
         "file_layers": "loader", "load_config": "loader", "shipped_config": "loader",
         "Config": "schema", "EndpointConfig": "schema"}

__all__ = ["WORKSPACE_FILE", "Config", "ConfigError", "EndpointConfig", "Layer", "build", "dict_layer", "file_layers",
           "load_config", "shipped_config"]

if TYPE_CHECKING:
    from .loader import ConfigError, Layer, build, dict_layer, file_layers, load_config, shipped_config
    from .schema import Config, EndpointConfig


def __getattr__(name: str) -> Any:
    if name in _FROM:
        value = getattr(importlib.import_module(f".{_FROM[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
