"""The VS Code extension in a real VS Code: code-server (VS Code 1.100 in the browser) in headless Debian
chromium driven by playwright, against the real server with a scripted model.

Builds (or reuses) editors/vscode/*.vsix, installs it into code-server, opens the scripted workspace of
tests/editors/conftest.py (shop.py + .cadre.toml) with `cadre.server.path` set to this venv's
`cadre-lsp`, and checks, saving a screenshot per step under $CADRE_TEST_RESULTS/vscode (default
build/test-results/vscode): the extension activates and starts the server; Fix chosen from the light
bulb (Ctrl+.) edits the buffer and is saved; Explain shows the scripted explanation in the results view;
Review puts its finding in Problems; the status bar item shows cadre.

Needs code-server, /usr/bin/chromium and pip playwright: scripts/install-vscode-test-tools.sh installs
them (scripts/test.sh runs it unless CADRE_VSCODE_REAL=0). Skips when one is missing, unless
$CADRE_REQUIRE_EDITORS names `vscode` (then it fails). Facts behind the set-up:
shared notes real-vscode.md.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXTENSION_DIR = REPO / "editors" / "vscode"
TOOLS = Path(os.environ.get("CADRE_VSCODE_TOOLS", Path.home() / ".cache" / "cadre-vscode-test"))
REQUIRED = "vscode" in os.environ.get("CADRE_REQUIRE_EDITORS", "").split(",")
RESULTS = Path(os.environ.get("CADRE_TEST_RESULTS", REPO / "build" / "test-results")) / "vscode"
CHROMIUM = os.environ.get("CADRE_CHROMIUM", "/usr/bin/chromium")


def code_server() -> str | None:
    for candidate in (os.environ.get("CADRE_CODE_SERVER"),
                      str(TOOLS / "code-server" / "node_modules" / ".bin" / "code-server"),
                      shutil.which("code-server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_tools() -> list[str]:
    missing = []
    if not code_server():
        missing.append("code-server")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip)")
    return missing


pytestmark = pytest.mark.vscode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vsix() -> Path:
    """The packaged extension: the one ci.sh built when it is newer than the sources, else `npm run package`."""
    sources = [EXTENSION_DIR / "package.json", *EXTENSION_DIR.glob("src/**/*.ts")]
    newest_source = max(p.stat().st_mtime for p in sources)
    built = sorted(EXTENSION_DIR.glob("*.vsix"), key=lambda p: p.stat().st_mtime)
    if built and built[-1].stat().st_mtime >= newest_source:
        return built[-1]
    if not (EXTENSION_DIR / "node_modules").is_dir() or not shutil.which("npm"):
        pytest.fail("no up-to-date .vsix and no node_modules to build one: run editors/vscode/ci.sh")
    subprocess.run(["npm", "run", "package"], cwd=EXTENSION_DIR, check=True, capture_output=True, timeout=300)
    return sorted(EXTENSION_DIR.glob("*.vsix"), key=lambda p: p.stat().st_mtime)[-1]


def _normal(text: str) -> str:
    return text.replace("\u00a0", " ")  # Monaco renders spaces as NBSP


class Steps:
    """Screenshots per step, numbered in order, into RESULTS."""

    def __init__(self, page: Any) -> None:
        self.page, self.n = page, 0

    def shot(self, name: str) -> Path:
        self.n += 1
        path = RESULTS / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def code_server_session(scripted_ws: Any, tmp_path: Path) -> Any:
    missing = missing_tools()
    if missing:
        reason = f"missing {', '.join(missing)}: run scripts/install-vscode-test-tools.sh"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for old in RESULTS.glob("*"):
        if old.is_file():
            old.unlink()
    binary = code_server()
    assert binary
    package = vsix()
    # A short path: chromium's and VS Code's unix sockets live under TMPDIR (108-byte limit).
    home = Path(tempfile.mkdtemp(prefix="cadre-vs-"))
    data, extensions, scratch = home / "data", home / "extensions", home / "tmp"
    for d in (data / "User", extensions, scratch):
        d.mkdir(parents=True)
    server = Path(sys.executable).parent / "cadre-lsp"
    assert server.exists(), server
    (data / "User" / "settings.json").write_text(json.dumps({
        "cadre.server.path": str(server),
        "cadre.hover.enabled": False,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoUpdate": False,
        "extensions.autoCheckUpdates": False,
        "update.mode": "none",
    }), encoding="utf-8")
    env = dict(scripted_ws.env)
    env.update({"HOME": str(home), "TMPDIR": str(scratch)})
    common = ["--user-data-dir", str(data), "--extensions-dir", str(extensions)]
    t0 = time.monotonic()
    subprocess.run([binary, *common, "--install-extension", str(package)], env=env, check=True,
                   capture_output=True, text=True, timeout=120)
    port = _free_port()
    log = (tmp_path / "code-server.log").open("w")
    proc = subprocess.Popen(
        [binary, *common, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry",
         "--disable-update-check", "--disable-workspace-trust", str(scripted_ws.root)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log_text = (tmp_path / "code-server.log").read_text()
                    raise AssertionError(f"code-server did not come up: {log_text}") from None
                time.sleep(0.3)
        yield {"port": port, "data": data, "env": env, "ws": scripted_ws, "started_s": time.monotonic() - t0}
    finally:
        # Its process group: killing only code-server would leave the extension host and cadre-lsp behind.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        for f in glob.glob(str(data / "logs" / "**" / "*.log"), recursive=True):
            if "cadre" in f or "exthost" in f:
                shutil.copy(f, RESULTS / Path(f).name)
        shutil.copy(tmp_path / "code-server.log", RESULTS / "code-server.log")
        shutil.rmtree(home, ignore_errors=True)


def _output_log(data: Path) -> str:
    """The extension's LogOutputChannel ("cadre-lsp"), as code-server writes it to disk."""
    text = ""
    for f in glob.glob(str(data / "logs" / "**" / "*.log"), recursive=True):
        if "cadre" in Path(f).name.lower() or "cadre" in Path(f).parent.name.lower():
            text += Path(f).read_text(encoding="utf-8", errors="replace")
    return text


def _exthost_log(data: Path) -> str:
    return "".join(Path(f).read_text(encoding="utf-8", errors="replace")
                   for f in glob.glob(str(data / "logs" / "**" / "*exthost*.log"), recursive=True))


def _wait(what: str, predicate: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_extension_in_code_server(code_server_session: dict[str, Any]) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    s = code_server_session
    ws, data = s["ws"], s["data"]
    t0 = time.monotonic()
    timings: dict[str, float] = {"code_server_up_s": round(s["started_s"], 1)}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, env=s["env"], args=["--no-sandbox"])
        steps = Steps(browser.new_page(viewport={"width": 1400, "height": 900}))
        page = steps.page
        try:
            page.goto(f"http://127.0.0.1:{s['port']}/?folder={ws.root}")
            page.wait_for_selector(".monaco-workbench", timeout=90_000)

            def run_palette_like(keys: str, text: str, pick: str | None = None) -> None:
                page.keyboard.press(keys)
                page.wait_for_selector(".quick-input-widget input", state="visible", timeout=10_000)
                page.keyboard.type(text)
                if pick:  # wait for the entry (quick open searches the files first)
                    page.locator(".quick-input-list .monaco-list-row").filter(has_text=pick).first.wait_for(
                        state="visible", timeout=30_000)
                page.keyboard.press("Enter")

            def cadre_status() -> str:
                items = page.locator(".statusbar-item").all_inner_texts()
                return " | ".join(_normal(t) for t in items if "cadre" in t)

            def goto_line(line: int) -> None:
                page.keyboard.press("Control+1")  # focus the first editor group
                run_palette_like("Control+g", str(line))
                page.keyboard.press("End")  # inside the code, not in the indentation

            def code_action(title: str) -> None:
                widget = page.locator(".action-widget")
                row = widget.locator(".monaco-list-row").filter(has_text=title).first
                # Right after an edit or a start, VS Code may ask before the server has the document
                # state and say "No code actions available": ask again, as a user would.
                for _attempt in range(8):
                    page.keyboard.press("Control+.")
                    try:
                        row.wait_for(state="visible", timeout=4_000)
                        break
                    except PlaywrightTimeout:
                        page.keyboard.press("Escape")
                        time.sleep(1)
                else:
                    raise AssertionError(f"{title} never appeared in the Ctrl+. menu")
                titles = [_normal(t).strip() for t in widget.locator(".monaco-list-row").all_inner_texts()]
                steps.shot("code-actions-" + title.split(": ")[-1].lower())
                offered.append(titles)
                row.click(force=True)  # the list re-renders on hover: never "stable" for playwright

            offered: list[list[str]] = []
            # Activation (onLanguage:python) and the server: open shop.py.
            run_palette_like("Control+p", "shop.py", pick="shop.py")
            page.wait_for_selector(".view-lines", timeout=30_000)
            _wait("the extension to start cadre-lsp", lambda: "starting " in _output_log(data), 60)
            status = _wait("the status bar item to show a running server",
                           lambda: (t := cadre_status()) and "starting" not in t and "stopped" not in t
                           and "no server" not in t and t, 60)
            timings["server_running_s"] = round(time.monotonic() - t0, 1)
            steps.shot("activated")
            assert "cadre" in status
            assert str(Path(sys.executable).parent / "cadre-lsp") in _output_log(data)
            assert re.search(r"[Aa]ctivat\w+ .*cadre\.cadre-lsp|cadre\.cadre-lsp.*activat", _exthost_log(data)) \
                or "cadre" in _exthost_log(data), "the extension host log does not mention cadre"

            # Fix from the light bulb on `total -= p`, then save.
            goto_line(8)
            code_action("cadre: Fix")
            original = ws.original()
            start, end = original.index("def total_price"), original.index("\n\n\ndef largest")
            expected = original[:start] + ws.fixed_total.rstrip("\n") + original[end:]
            _wait("the fix in the editor", lambda: "total += p" in _normal(page.locator(".view-lines").first.inner_text()))
            page.keyboard.press("Control+1")
            page.keyboard.press("Control+s")
            _wait("the fixed file on disk", lambda: ws.file.read_text(encoding="utf-8") == expected)
            timings["fix_applied_s"] = round(time.monotonic() - t0, 1)
            steps.shot("fix-applied")
            assert len([t for t in offered[0] if t.startswith("cadre: ")]) <= 5, offered[0]

            # Explain count_vowels: the results view (a webview) shows the scripted explanation.
            goto_line(35)
            code_action("cadre: Explain")
            marker = "the test is inverted"

            def explained() -> bool:
                for frame in page.frames:
                    try:
                        if marker in frame.content():
                            return True
                    except Exception:  # a frame navigating away
                        continue
                return False

            _wait("the explanation in the results view", explained, 40)
            timings["explain_shown_s"] = round(time.monotonic() - t0, 1)
            steps.shot("explain-results-view")

            # Review largest: the finding in Problems.
            goto_line(16)
            code_action("cadre: Review")
            page.keyboard.press("Control+Shift+m")
            problems = page.locator(".markers-panel")
            problems.wait_for(state="visible", timeout=20_000)
            _wait("the review finding in Problems", lambda: "inverted" in _normal(problems.inner_text()), 40)
            timings["review_in_problems_s"] = round(time.monotonic() - t0, 1)
            steps.shot("review-problems")

            # The status bar: idle again, naming cadre (and the model once jobs ran).
            final_status = _wait("the status bar to settle", lambda: (t := cadre_status()) and "running" not in t and t, 30)
            steps.shot("statusbar")
            assert "cadre" in final_status
        except BaseException:
            try:
                steps.shot("FAILED")
            except Exception:
                pass
            raise
        finally:
            browser.close()
    timings["ui_total_s"] = round(time.monotonic() - t0, 1)
    (RESULTS / "timings.json").write_text(json.dumps({**timings, "offered": offered,
                                                      "status": final_status}, indent=1), encoding="utf-8")
