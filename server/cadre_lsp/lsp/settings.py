"""Editor settings: where they come from, how they layer over the config files, and bad values.

Editors send settings in different shapes, all accepted here:
- one dict of cadre settings (Helix `config`, Neovim `init_options`), optionally under a "cadre" key;
- VS Code's per-folder style `{"settings": [{"workspace": uri, ...}, ...], "globalSettings": {...}}`;
- `workspace/configuration` section "cadre" (pulled only where the client supports it) and
  `workspace/didChangeConfiguration` pushes (`{"cadre": {...}}`, or null meaning "pull again").
A `configFile` key (also `config_file`, `configPath`) names a config file, like `--config`.
`code_actions` (also `codeActions`) holds editor-only options, not config: `show_patterns` (`showPatterns`)
lists every "<Action> with <pattern>" code action (actions.py).
Layering (low to high): config files < initializationOptions < pulled/pushed settings.
A bad value raises ConfigError (naming the key); the server keeps its last good configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config.merge import deep_merge

if TYPE_CHECKING:
    from ..config import Config

SECTION = "cadre"
_FILE_KEYS = ("configFile", "config_file", "configPath", "config_path")
_META_KEYS = ("workspace", "cwd", "workspaceFolder")
_ACTION_KEYS = ("code_actions", "codeActions")


def _as_section(value: Any) -> dict[str, Any] | None:
    """The cadre settings inside one editor payload, or None if there are none."""
    if not isinstance(value, Mapping):
        return None
    if isinstance(value.get(SECTION), Mapping):
        return dict(value[SECTION])
    return dict(value)


def _same_folder(a: str, b: str) -> bool:
    return a.rstrip("/").removeprefix("file://") == b.rstrip("/").removeprefix("file://")


def from_init_options(options: Any, folder: str | None) -> dict[str, Any]:
    """Flatten initializationOptions (any of the accepted shapes) into one dict of settings."""
    if not isinstance(options, Mapping):
        return {}
    if "settings" in options or "globalSettings" in options:
        merged = _as_section(options.get("globalSettings")) or {}
        per_folder = options.get("settings")
        if isinstance(per_folder, list):
            entries = [e for e in per_folder if isinstance(e, Mapping)]
            chosen = next((e for e in entries if folder and isinstance(e.get("workspace"), str)
                           and _same_folder(e["workspace"], folder)), entries[0] if entries else None)
            if chosen is not None:
                merged = deep_merge(merged, _as_section(chosen) or {})
        elif isinstance(per_folder, Mapping):
            merged = deep_merge(merged, _as_section(per_folder) or {})
        return merged
    return _as_section(options) or {}


def from_push(settings: Any) -> dict[str, Any] | None:
    """Settings from didChangeConfiguration; None means the client wants us to pull."""
    if settings is None or (isinstance(settings, Mapping) and not settings):
        return None
    return _as_section(settings)


@dataclass
class Settings:
    """The editor-side layers and the config file named on the command line or in the settings."""

    workspace_root: str | None = None
    cli_config: str | None = None
    init: dict[str, Any] = field(default_factory=dict)
    live: dict[str, Any] = field(default_factory=dict)
    """From workspace/configuration or didChangeConfiguration (replaced as a whole each time)."""

    def overrides(self) -> tuple[dict[str, Any], str | None]:
        merged = deep_merge(self.init, self.live)
        config_file = self.cli_config
        for key in _FILE_KEYS:
            value = merged.pop(key, None)
            if isinstance(value, str) and value:
                config_file = value
        for key in (*_META_KEYS, *_ACTION_KEYS):
            merged.pop(key, None)
        return merged, config_file

    def show_patterns(self) -> bool:
        """`code_actions.show_patterns`: list every pattern variant in the code-action menu."""
        merged = deep_merge(self.init, self.live)
        for key in _ACTION_KEYS:
            opts = merged.get(key)
            if isinstance(opts, Mapping):
                value = opts.get("show_patterns", opts.get("showPatterns"))
                if isinstance(value, bool):
                    return value
        return False

    def load(self) -> Config:
        """Build the configuration from every layer; raises ConfigError naming the bad key."""
        overrides, config_file = self.overrides()
        from ..config import load_config

        return load_config(self.workspace_root, config_file, overrides=overrides or None,
                           override_source="editor settings")
