"""Configuration: typed schema (schema.py) and layered loading (loader.py)."""

from .loader import ConfigError, Layer, build, dict_layer, file_layers, load_config, shipped_config
from .schema import Config, EndpointConfig

__all__ = ["Config", "ConfigError", "EndpointConfig", "Layer", "build", "dict_layer", "file_layers", "load_config",
           "shipped_config"]
