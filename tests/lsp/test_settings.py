"""Editor settings arrive in several shapes; all become one dict layered over the config files."""

from __future__ import annotations

import pytest

from cadre_lsp.config import ConfigError
from cadre_lsp.lsp.settings import Settings, from_init_options, from_push


def test_plain_dict_and_section_key():
    assert from_init_options({"hover": {"enabled": False}}, None) == {"hover": {"enabled": False}}
    assert from_init_options({"cadre": {"hover": {"budgetMs": 5}}}, None) == {"hover": {"budgetMs": 5}}
    assert from_init_options(None, None) == {}


def test_vscode_per_folder_style_picks_the_folder():
    opts = {"globalSettings": {"hover": {"enabled": True, "budgetMs": 10}},
            "settings": [{"workspace": "file:///other", "hover": {"budgetMs": 99}},
                         {"workspace": "file:///proj/", "hover": {"budgetMs": 20}}]}
    assert from_init_options(opts, "file:///proj") == {"hover": {"enabled": True, "budgetMs": 20}, "workspace": "file:///proj/"}


def test_push_null_means_pull():
    assert from_push(None) is None and from_push({}) is None
    assert from_push({"cadre": {"review": {"onSave": True}}}) == {"review": {"onSave": True}}


def test_config_file_key_and_meta_keys_are_not_settings(tmp_path):
    s = Settings(workspace_root=str(tmp_path), init={"configFile": "/x.toml", "workspace": "file:///p",
                                                      "hover": {"enabled": False}})
    overrides, config_file = s.overrides()
    assert overrides == {"hover": {"enabled": False}} and config_file == "/x.toml"


def test_live_settings_override_init_and_bad_values_name_the_key(tmp_path):
    s = Settings(workspace_root=str(tmp_path), init={"hover": {"budgetMs": 100}}, live={"hover": {"budgetMs": 200}})
    assert s.load().hover.budget_ms == 200
    s.live = {"hover": {"budgetMs": "soon"}}
    with pytest.raises(ConfigError) as err:
        s.load()
    assert "hover.budget_ms" in str(err.value)
