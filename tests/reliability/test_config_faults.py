"""Config faults (issue 11): each bad configuration names the key and the file, and the server keeps its
last good configuration. tests/foundation/test_config.py covers the basic cases; this is the corpus
(wrong types, unknown keys with "did you mean", references to roles/patterns/tasks that do not exist,
bad ${ENV} expansion, invalid TOML in each layer) and its end-to-end half through the language server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from cadre_lsp.config import ConfigError, load_config
from lsp.harness import SHOP, TOTAL_FIXED, Workspace, session, wait_for

# (toml, key the error must name, words it must contain)
BAD_TOML: list[tuple[str, str, str]] = [
    ('hover = 5\n', "hover", "expected a table"),
    ('[roles]\ncoding = 3\n', "roles.coding", "got int 3"),
    ('[edits]\nprotected = ".git/"\n', "edits.protected", "got str '.git/'"),
    ('[hover]\nbudgetms = 3\n', "hover.budgetms", "did you mean `budget_ms`"),
    ('[endpoint.x]\nkind = "ollama"\n', "endpoint", "did you mean `endpoints`"),
    ('[endpoints.coder]\ntimeout_s = "${CADRE_TEST_UNSET}"\n', "endpoints.coder.timeout_s", "expected a number"),
    ('[endpoints.x]\nkind = "openai"\nmodel = "m"\nbase_url = "${CADRE_TEST_UNSET}"\n', "endpoints.x.base_url",
     "unset ${VARIABLE}"),
    ('[endpoints.x]\nmodel = "m"\n', "endpoints.x.kind", "required key is missing"),
    ('[endpoints.coder]\nedit_format = "diff"\n', "endpoints.coder.edit_format", "'diff' is not one of"),
    ('[generation]\nmax_tokens = -5\n', "generation.max_tokens", ">= 1"),
    ('[roles]\ncoding = ["ghost"]\n', "roles.coding", "'ghost' is not defined under [endpoints]"),
    ('[roles]\nwizard = ["coder"]\n', "roles.wizard", "unknown role"),
    ('fallback_role = "ghost"\n', "fallback_role", "unknown role 'ghost'"),
    ('[hover]\nrole = "reasonig"\n', "hover.role", "did you mean `reasoning`"),
    ('[compete]\ncompetitors = ["coding", "ghost@0.7"]\n', "compete.competitors.1", "unknown role"),
    ('[compete]\njudge_role = "ghost"\n', "compete.judge_role", "unknown role"),
    ('[jobs_per_role]\ncoding = 0\n', "jobs_per_role.coding", ">= 1"),
    ('[routing.tasks.bug_fix]\nrole = "wizard"\n', "routing.tasks.bug_fix.role", "unknown role"),
    ('[routing.tasks.bug_fix]\nrole = "coding"\npattern = "nope"\n', "routing.tasks.bug_fix.pattern",
     "unknown pattern 'nope'"),
    ('[routing.actions]\nfix = "bugfix"\n', "routing.actions.fix", "did you mean `bug_fix`"),
    ('[[routing.rules]]\ntask_type = "x"\nregex = "("\n', "routing.rules.0.regex", "invalid regular expression"),
    ('[action_patterns]\nfix = "nope"\n', "action_patterns.fix", "unknown pattern 'nope'"),
    ('profile = "giant"\n', "profile", "unknown profile"),
]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CADRE_CONFIG", raising=False)
    monkeypatch.delenv("CADRE_TEST_UNSET", raising=False)


@pytest.mark.parametrize(("toml", "key", "says"), BAD_TOML, ids=[c[1] + ":" + c[2][:20] for c in BAD_TOML])
def test_bad_value_names_key_and_file(tmp_path: Path, toml: str, key: str, says: str, figure: Any) -> None:
    path = tmp_path / "ws" / ".cadre.toml"
    path.parent.mkdir()
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path.parent)
    msg = str(info.value)
    assert info.value.key == key, msg
    assert str(path) in msg and f"`{key}`" in msg and says in msg, msg
    assert "\n" not in msg
    figure("config faults (loader)", cases=1, named_key_and_file=1)


@pytest.mark.parametrize("layer", ["user", "workspace", "explicit"])
def test_invalid_toml_in_any_layer_names_that_file(tmp_path: Path, layer: str, figure: Any) -> None:
    files = {"user": tmp_path / "xdg" / "cadre-lsp" / "config.toml", "workspace": tmp_path / "ws" / ".cadre.toml",
             "explicit": tmp_path / "x.toml"}
    for p in files.values():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("[hover]\nbudget_ms = 100\n")
    files[layer].write_text('[hover]\nbudget_ms = 100\n[endpoints.x\nkind = "ollama"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "ws", files["explicit"])
    msg = str(info.value)
    assert str(files[layer]) in msg and "invalid TOML" in msg and "line 3" in msg, msg
    assert all(str(p) not in msg for name, p in files.items() if name != layer)
    figure("config faults (loader)", cases=1, named_key_and_file=1)


def test_editor_settings_unknown_key_names_the_editor_source(figure: Any) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(overrides={"hover": {"budgetMss": 3}}, override_source="editor settings")
    msg = str(info.value)
    assert msg.startswith("editor settings: `hover.budget_mss`") and "did you mean `budget_ms`" in msg, msg
    figure("config faults (loader)", cases=1, named_key_and_file=1)


# -- through the language server ------------------------------------------------------------------

BAD_SETTINGS: list[tuple[dict[str, Any], str]] = [
    ({"hover": {"budgetMs": "soon"}}, "hover.budget_ms"),
    ({"hover": {"budgetMss": 5}}, "did you mean `budget_ms`"),
    ({"roles": {"coding": ["ghost"]}}, "roles.coding"),
    ({"routing": {"tasks": {"bug_fix": {"role": "wizard"}}}}, "routing.tasks.bug_fix.role"),
    ({"edits": {"protected": ".git/"}}, "edits.protected"),
    ({"endpoints": {"s": {"timeoutS": -1}}}, "endpoints.s.timeout_s"),
]



def errors(s: Any) -> list[str]:
    return [m.message for m in s.client.messages if m.type == types.MessageType.Error]


async def test_bad_settings_pushed_in_turn_each_named_and_the_last_good_config_stays(ws: Workspace,
                                                                                    figure: Any) -> None:
    cfg = ws.configure()
    uri = (ws.root / "shop.py").as_uri()
    async with session(ws, "neovim@v0.7", config=cfg) as s:
        s.open(uri, SHOP)
        for n, (settings, says) in enumerate(BAD_SETTINGS, 1):
            s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
                settings={"cadre": settings}))
            await wait_for(lambda n=n: len(errors(s)) >= n, 10, f"error message {n}")
            msg = errors(s)[n - 1]
            assert says in msg and "editor settings" in msg and "keeping the previous configuration" in msg, msg
        # An invalid workspace file is read on the next reload: named, and still the old config stays.
        bad = ws.root / ".cadre.toml"
        bad.write_text("[hover\n")
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"cadre": {"hover": {"enabled": True}}}))
        await wait_for(lambda: len(errors(s)) > len(BAD_SETTINGS), 10, "the invalid TOML message")
        assert str(bad) in errors(s)[-1] and "invalid TOML" in errors(s)[-1], errors(s)[-1]
        st = await s.status()
        assert st["roles"]["coding"]["model"] == "scripted-model"
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        await s.wait_result(job)
        assert TOTAL_FIXED in s.text(uri)
    figure("config faults (language server)", cases=len(BAD_SETTINGS) + 1, named=len(BAD_SETTINGS) + 1,
           old_config_kept=1, server_crashes=0)


async def test_bad_initialization_options_fall_back_to_the_files(ws: Workspace, figure: Any) -> None:
    cfg = ws.configure()
    uri = (ws.root / "shop.py").as_uri()
    init = {"roles": {"coding": ["ghost"]}}
    async with session(ws, "helix", config=cfg, init_options=init) as s:
        await wait_for(lambda: errors(s), 10, "error message")
        assert "`roles.coding`" in errors(s)[0] and "'ghost'" in errors(s)[0], errors(s)
        s.open(uri, SHOP)
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        await s.wait_result(job)
        assert TOTAL_FIXED in s.text(uri)
    figure("config faults (language server)", cases=1, named=1, server_crashes=0)
