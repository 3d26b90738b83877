"""Helix's LSP client, as the editor tests need it: its capabilities, its initialize params, and how it
answers the server's requests (taken from helix-editor/helix, not guessed).

The 25.07 capabilities are the profile the LSP tests already keep (tests/lsp/clients/helix_v25.07.json,
transcribed from helix-lsp/src/client.rs `initialize` at commit 0ee96143); this module reuses that file.
The older profile is the same `initialize` at commit 0002bec4, before Helix learned window/showDocument
and pull diagnostics. What the two versions do with server->client traffic (helix-term/src/application.rs):
- `workspace/configuration`: the `config` table of languages.toml, walked by the dotted section; a missing
  key answers null;
- `workspace/applyEdit`: applied to the buffer, answered `{applied}`;
- `window/workDoneProgress/create` + `$/progress`: a spinner, and status-line text when enabled;
- `window/showMessage`: shown in the status line by newer versions, logged as unhandled by older ones;
- `window/showDocument` (newer only): opens the file;
- anything else (`window/showMessageRequest`, custom notifications such as `cadre/result`): MethodNotFound
  for requests, ignored for notifications.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from lsprotocol import converters, types

CLIENTS_DIR = Path(__file__).resolve().parents[1] / "lsp" / "clients"
HELIX_25_07 = CLIENTS_DIR / "helix_v25.07.json"

PROFILES = ("helix@25.07", "helix@0002bec4")


def _legacy(raw: dict[str, Any]) -> dict[str, Any]:
    """Helix before window/showDocument (commit 0002bec4): the differences from the 25.07 initialize."""
    old = copy.deepcopy(raw)
    caps = old["capabilities"]
    del caps["window"]["showDocument"]
    caps["workspace"].pop("diagnostic", None)
    caps["textDocument"].pop("diagnostic", None)
    caps["workspace"]["didChangeWatchedFiles"]["relativePatternSupport"] = False
    kinds = caps["textDocument"]["codeAction"]["codeActionLiteralSupport"]["codeActionKind"]["valueSet"]
    kinds.remove("source.fixAll")
    old["clientInfo"] = {"name": "helix", "version": "0002bec4"}
    return old


def raw_profile(profile: str) -> dict[str, Any]:
    raw = json.loads(HELIX_25_07.read_text(encoding="utf-8"))
    if profile == "helix@25.07":
        return raw
    if profile == "helix@0002bec4":
        return _legacy(raw)
    raise KeyError(profile)


def initialize_params(profile: str, root: Path, config: Any) -> types.InitializeParams:
    """What Helix sends: process id, one workspace folder, rootPath + rootUri, `config` as init options."""
    raw = raw_profile(profile)
    converter = converters.get_converter()
    caps = converter.structure(raw["capabilities"], types.ClientCapabilities)
    uri = root.as_uri()
    return types.InitializeParams(
        process_id=None,
        capabilities=caps,
        client_info=types.ClientInfo(**raw["clientInfo"]),
        root_path=str(root),
        root_uri=uri,
        workspace_folders=[types.WorkspaceFolder(uri=uri, name=root.name)],
        initialization_options=config,
    )


def configuration_answer(config: Any, items: list[types.ConfigurationItem]) -> list[Any]:
    """Helix's workspace/configuration reply: `config` walked by each item's dotted section."""
    out = []
    for item in items:
        value = config
        if item.section:
            for part in item.section.split("."):
                value = value.get(part) if isinstance(value, dict) else None
                if value is None:
                    break
        out.append(value)
    return out


def has_show_document(profile: str) -> bool:
    return bool(raw_profile(profile)["capabilities"]["window"].get("showDocument", {}).get("support"))


# -- which servers Helix asks for a feature (helix-core syntax/config.rs: LanguageServerFeatures) -----------

FEATURES = ("format", "goto-definition", "goto-declaration", "goto-type-definition", "goto-reference",
            "goto-implementation", "signature-help", "hover", "document-highlight", "completion",
            "code-action", "workspace-command", "document-symbols", "workspace-symbols", "diagnostics",
            "rename-symbol", "inlay-hints", "document-colors")
"""Helix's LanguageServerFeature names (kebab-case in languages.toml)."""


def language_servers_with_feature(entries: list[Any], feature: str) -> list[str]:
    """The servers of a `language-servers = [...]` list that Helix uses for `feature`, in order.

    An entry is a name (every feature) or `{ name, only-features | except-features }`; Helix's
    LanguageServerFeatures::has_feature is `(only.is_empty() || only.contains(f)) && !excluded.contains(f)`,
    and it refuses an entry that sets both lists.
    """
    assert feature in FEATURES, feature
    out = []
    for entry in entries:
        if isinstance(entry, str):
            out.append(entry)
            continue
        only, excluded = entry.get("only-features", []), entry.get("except-features", [])
        assert not (only and excluded), f"{entry['name']}: Helix rejects only-features with except-features"
        assert set(only) | set(excluded) <= set(FEATURES), entry
        if (not only or feature in only) and feature not in excluded:
            out.append(entry["name"])
    return out
