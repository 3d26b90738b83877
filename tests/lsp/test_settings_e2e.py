"""Configuration from the editor: initializationOptions shapes, pull, push, and a bad value."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from lsp.harness import HOVER, SHOP, TOTAL_FIXED, default_script, exchange, session, wait_for


def uri_of(ws) -> str:
    return (ws.root / "shop.py").as_uri()


async def test_bad_setting_names_the_key_and_the_last_good_config_stays(ws):
    cfg = ws.configure()
    uri = uri_of(ws)
    async with session(ws, "neovim@v0.7", config=cfg) as s:
        s.open(uri, SHOP)
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"cadre": {"hover": {"budgetMs": "soon"}}}))
        await wait_for(lambda: s.client.messages, 5, "error message")
        (msg,) = s.client.messages
        assert msg.type == types.MessageType.Error
        assert "hover.budget_ms" in msg.message and "keeping the previous configuration" in msg.message
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))  # the old config still works
        await s.wait_result(job)
        assert TOTAL_FIXED in s.text(uri)


async def test_unknown_key_at_startup_is_reported_and_the_files_still_apply(ws):
    cfg = ws.configure()
    async with session(ws, "helix", config=cfg, init_options={"hovr": {"enabled": False}}) as s:
        await wait_for(lambda: s.client.messages, 5, "error message")
        assert "`hovr`" in s.client.messages[0].message
        st = await s.status()
        assert st["roles"]["coding"]["model"] == "scripted-model"


async def test_broken_workspace_file_at_startup_leaves_the_shipped_defaults_in_force(ws):
    """Every file layer broken: the error is shown and the server runs on the shipped profile (embedded
    models), not on an empty configuration where no action could run."""
    (ws.root / ".cadre.toml").write_text("[hover]\nbudget_ms = 'soon'\n")
    async with session(ws, "helix") as s:
        await wait_for(lambda: s.client.messages, 5, "error message")
        assert "hover.budget_ms" in s.client.messages[0].message
        assert ".cadre.toml" in s.client.messages[0].message
        st = await s.status()
        assert st["roles"]["coding"]["model"] == "qwen2.5-coder-1.5b"


async def test_vscode_per_folder_settings_apply_to_this_workspace(ws):
    cfg = ws.configure([exchange(HOVER, reply="hello")])
    uri = uri_of(ws)
    init = {"globalSettings": {"hover": {"enabled": True}},
            "settings": [{"workspace": ws.root.as_uri(), "hover": {"enabled": False}}]}
    async with session(ws, "visual_studio_code", config=cfg, init_options=init) as s:
        s.open(uri, SHOP)
        assert await s.hover(uri, s.pos(uri, "total -= p")) is None


async def test_workspace_configuration_is_pulled_where_supported(ws):
    cfg = ws.configure([exchange(HOVER, reply="hello")])
    uri = uri_of(ws)
    async with session(ws, "visual_studio_code", config=cfg, configuration={"hover": {"enabled": False}}) as s:
        s.open(uri, SHOP)
        assert await s.hover(uri, s.pos(uri, "total -= p")) is None
        # A push with null settings means "pull again".
        s.client.set_configuration({"hover": {"enabled": True}}, section="cadre")
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        for _ in range(100):
            h = await s.hover(uri, s.pos(uri, "total -= p"))
            if h is not None:
                break
        assert h is not None and h.contents.value == "hello"


async def test_pushed_settings_for_clients_without_configuration_pull(ws):
    cfg = ws.configure([exchange(HOVER, reply="hello")])
    uri = uri_of(ws)
    async with session(ws, "neovim@v0.7", config=cfg) as s:  # Neovim 0.7 cannot be asked (pytest-lsp checks)
        s.open(uri, SHOP)
        assert await s.hover(uri, s.pos(uri, "total -= p")) is not None
        s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"cadre": {"hover": {"enabled": False}}}))
        for _ in range(100):
            if await s.hover(uri, s.pos(uri, "total -= p")) is None:
                break
        assert await s.hover(uri, s.pos(uri, "total -= p")) is None


async def test_config_file_named_in_initialization_options(ws):
    cfg = ws.configure(default_script())
    uri = uri_of(ws)
    async with session(ws, "helix", init_options={"configFile": str(cfg)}) as s:
        s.open(uri, SHOP)
        st = await s.status()
        assert st["roles"]["reasoning"]["model"] == "scripted-model"
        job = await s.run("fix", uri, s.line_range(uri, 7, 7))
        await s.wait_result(job)
        assert TOTAL_FIXED in s.text(uri)


async def test_workspace_config_file_is_watched_and_reloaded_on_change(ws):
    """VS Code watches .cadre.toml for us: a bad edit is named (old config kept), a good one applies."""
    cfg = ws.configure([exchange(HOVER, reply="Adds up the prices.")])
    uri = uri_of(ws)
    toml = ws.root / ".cadre.toml"
    async with session(ws, "visual_studio_code", config=cfg) as s:
        await wait_for(lambda: s.registrations, 5, "client/registerCapability")
        (reg,) = s.registrations
        assert reg.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        assert [w["globPattern"] for w in reg.register_options["watchers"]] == ["**/.cadre.toml"]
        s.open(uri, SHOP)
        pos = types.Position(line=4, character=6)
        assert (await s.hover(uri, pos)) is not None

        def changed(kind: types.FileChangeType) -> None:
            s.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=toml.as_uri(), type=kind)]))

        toml.write_text("[hover]\nenabled = 'nope'\n")
        changed(types.FileChangeType.Created)
        await wait_for(lambda: s.client.messages, 5, "error message")
        assert "hover.enabled" in s.client.messages[0].message and ".cadre.toml" in s.client.messages[0].message
        assert (await s.hover(uri, pos)) is not None  # the previous configuration is still in force
        toml.write_text("[hover]\nenabled = false\n")
        changed(types.FileChangeType.Changed)
        for _ in range(100):  # the reload runs beside later requests: poll until it has landed
            if (await s.hover(uri, pos)) is None:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("hover still answers after `enabled = false` in .cadre.toml")
        assert len(s.client.messages) == 1  # the good file raised no error
