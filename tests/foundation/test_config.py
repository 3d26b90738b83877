"""Config layering, ${ENV} expansion and errors that name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadre_lsp.config import ConfigError, load_config
from cadre_lsp.config.loader import expand_env


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("CADRE_CONFIG", raising=False)
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_are_the_embedded_profile() -> None:
    cfg = load_config()
    assert cfg.profile == "embedded"
    assert cfg.endpoints["coder"].kind == "embedded"
    assert cfg.endpoints["coder"].model == "qwen2.5-coder-1.5b"
    assert cfg.endpoints["coder"].edit_format == "rewrite"
    assert cfg.endpoints["coder"].speculative == "ngram"  # bench/README.md "Speculative decoding"
    assert cfg.roles["coding"] == ["coder"]
    assert cfg.routing.actions["fix"] == "bug_fix"


def test_merge_order_user_workspace_explicit_editor(tmp_path: Path, isolated_home: Path) -> None:
    write(isolated_home / "cadre-lsp" / "config.toml", "[hover]\nbudget_ms = 100\nmax_tokens = 11\n")
    ws = tmp_path / "ws"
    write(ws / ".cadre.toml", "[hover]\nbudget_ms = 200\n")
    explicit = write(tmp_path / "x.toml", "[review]\non_save = true\n")
    cfg = load_config(ws, explicit)
    assert cfg.hover.budget_ms == 200          # workspace beats user
    assert cfg.hover.max_tokens == 11          # user beats shipped
    assert cfg.review.on_save is True          # explicit file applied
    cfg2 = load_config(ws, explicit, overrides={"hover": {"budgetMs": 300}})
    assert cfg2.hover.budget_ms == 300         # editor settings (camelCase) beat everything


def test_profile_switch_from_workspace(tmp_path: Path) -> None:
    write(tmp_path / ".cadre.toml", 'profile = "ollama"\n')
    cfg = load_config(tmp_path)
    assert cfg.endpoints["coder"].kind == "ollama"
    assert cfg.roles["reasoning"] == ["reasoner"]


def test_env_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-123")
    write(tmp_path / ".cadre.toml", 'profile = "openai-compatible"\n[endpoints.main]\napi_key = "${MY_KEY}"\n')
    cfg = load_config(tmp_path)
    assert cfg.endpoints["main"].api_key == "sk-123"
    assert cfg.endpoints["main"].base_url == "http://127.0.0.1:8080/v1"  # ${VAR:-default}
    assert expand_env({"a": ["${NOPE:-x}", "${NOPE}"]}, env={}) == {"a": ["x", ""]}


@pytest.mark.parametrize(
    ("toml", "key", "expect"),
    [
        ("[hover]\nbudget_ms = \"fast\"\n", "hover.budget_ms", "int"),
        ("[hover]\nbudget = 3\n", "hover.budget", "unknown key"),
        ("[endpoints.coder]\nconcurrency = 0\n", "endpoints.coder.concurrency", ">= 1"),
        ("[endpoints.x]\nkind = \"gpt\"\n", "endpoints.x.kind", "gpt"),
        ("[endpoints.coder]\nspeculative = \"ngrm\"\n", "endpoints.coder.speculative", "\"ngram\""),
        ("[roles]\ncoding = [\"nope\"]\n", "roles.coding", "not defined"),
        ("[roles]\nwizard = [\"coder\"]\n", "roles.wizard", "unknown role"),
        ("profile = \"giant\"\n", "profile", "unknown profile"),
        ("[compete]\ncompetitors = [\"coding@hot\"]\n", "compete.competitors.0", "bad temperature"),
        ("[verify]\ngenerator_role = \"coder\"\n", "verify.generator_role", "unknown role"),
        ("[verify]\nmax_examples = 0\n", "verify.max_examples", ">= 1"),
        ("[verify]\nsources = [\"tests\"]\n", "verify.sources.0", "tests"),
    ],
)
def test_bad_values_name_key_and_file(tmp_path: Path, toml: str, key: str, expect: str) -> None:
    path = write(tmp_path / ".cadre.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    msg = str(info.value)
    assert info.value.key == key, msg
    assert str(path) in msg
    assert expect in msg
    assert "\n" not in msg


def test_invalid_toml_names_file_and_position(tmp_path: Path) -> None:
    path = write(tmp_path / ".cadre.toml", "[hover\nbudget_ms = 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(path) in str(info.value) and "line 1" in str(info.value)


def test_editor_settings_error_names_source() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(overrides={"hover": {"enabled": "maybe"}}, override_source="initializationOptions")
    assert "initializationOptions" in str(info.value) and info.value.key == "hover.enabled"


def test_role_string_is_a_one_element_chain(tmp_path: Path) -> None:
    write(tmp_path / ".cadre.toml", '[roles]\ncoding = "fast"\n')
    assert load_config(tmp_path).roles["coding"] == ["fast"]


def test_scripted_script_path_is_relative_to_its_file(tmp_path: Path) -> None:
    write(tmp_path / "cfg" / "c.toml", '[endpoints.s]\nkind = "scripted"\nscript = "s.json"\n')
    cfg = load_config(None, tmp_path / "cfg" / "c.toml")
    assert cfg.endpoints["s"].script == str((tmp_path / "cfg" / "s.json").resolve())


def test_custom_pattern_with_bad_step_is_named(tmp_path: Path) -> None:
    write(tmp_path / ".cadre.toml",
          '[patterns.mine]\nsteps = [{kind = "generate", role = "coding"}, {kind = "judge", role = "wizard"}]\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "patterns.mine" in str(info.value) and "step 2" in str(info.value) and "wizard" in str(info.value)
