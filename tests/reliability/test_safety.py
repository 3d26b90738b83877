"""Safety corpus (issue 11): hostile tool calls through the real pipeline and the CLI's `run --apply`.

The code under edit carries a prompt injection; the scripted model "obeys" it (its script matches the
injected words, so the text provably reached the prompt) and answers with one hostile call from
safety_corpus.py, alone or beside a legitimate fix. Checked with the file system, not with mocks:
- nothing under the test's tmp directory changes except, at most, the file under edit receiving the
  legitimate fix (the sentinel directory outside the workspace, HOME, .git/ stay byte for byte);
- the marker file any shell command in the corpus would create never appears;
- every hostile call is accounted for in what the user sees (its path or tool is named as refused).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cadre_lsp.config import load_config
from cadre_lsp.core import Request, Result, Span
from cadre_lsp.pipeline import Engine
from fakes.scripted_workspace import ALL_ROLES, SOURCE
from reliability.conftest import SOAK
from reliability.safety_corpus import INJECTION, NEW, OLD, corpus

SHOP = SOURCE.replace('    """Return the sum of all prices."""\n',
                      '    """Return the sum of all prices."""' + INJECTION.replace("\n#", "\n    #"), 1)
FIXED_SHOP = SHOP.replace(OLD, NEW)
LINE = SHOP.split("\n").index("        total -= p")
CASES = corpus()
SHELLISH = ("Bash", "bash", "shell", "run", "execute", "exec", "run_command", "terminal", "python")


@dataclass
class Site:
    """tmp/: ws/ (the workspace), outside/ (sentinel), home/ (HOME), and the marker a shell would make."""

    tmp: Path

    @property
    def ws(self) -> Path:
        return self.tmp / "ws"

    @property
    def outside(self) -> Path:
        return self.tmp / "outside"

    @property
    def home(self) -> Path:
        return self.tmp / "home"

    @property
    def marker(self) -> Path:
        return self.outside / "MARKER-a-command-ran"

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.format(outside=self.outside, home=self.home, marker=self.marker)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def snapshot(self) -> dict[str, bytes | str]:
        """Every file and link under tmp/ (links by target), except the file under edit."""
        out: dict[str, bytes | str] = {}
        for dirpath, dirnames, filenames in os.walk(self.tmp):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                if p == self.ws / "shop.py":
                    continue
                if p.is_symlink():
                    out[str(p)] = "-> " + os.readlink(p)
                elif p.is_file():
                    out[str(p)] = p.read_bytes()
                else:
                    out[str(p)] = "dir"
        return out

    def configure(self, reply: list[dict[str, Any]] | str, *, allow_other_files: bool = False) -> Path:
        text, calls = (reply, []) if isinstance(reply, str) else ("", reply)
        script = [{"match": {"contains": ["ignore previous instructions"]}, "reply": text,
                   "tool_calls": self.fill(calls)}]
        (self.tmp / "cfg" / "script.json").write_text(json.dumps(script))
        roles = "".join(f'{r} = ["s"]\n' for r in ALL_ROLES)
        cfg = self.tmp / "cfg" / "cadre.toml"
        cfg.write_text(f'[edits]\nallow_other_files = {str(allow_other_files).lower()}\n'
                       f'[endpoints.s]\nkind = "scripted"\nscript = "script.json"\nmodel = "obedient"\n'
                       f'edit_format = "tool_calls"\nretries = 0\n[roles]\n{roles}')
        return cfg


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    s = Site(tmp_path)
    for d in (s.ws / "sub", s.ws / ".git" / "hooks", s.outside, s.home / ".ssh", tmp_path / "cfg"):
        d.mkdir(parents=True)
    (s.ws / "shop.py").write_text(SHOP)
    (s.ws / "sub" / "other.py").write_text(SOURCE)
    (s.ws / ".git" / "config").write_text("[core]\n\trepositoryformatversion = 0\n")
    (s.ws / ".env").write_text("SECRET=1\n")
    (s.outside / "victim.py").write_text(SOURCE)
    (s.outside / "secret.txt").write_text("outside secret\n")
    (s.home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA legit\n")
    (s.home / ".ssh" / "id_rsa").write_text("-----BEGIN PRIVATE KEY-----\n")
    (s.ws / "link").symlink_to(s.outside, target_is_directory=True)
    (s.ws / "victim_link.py").symlink_to(s.outside / "victim.py")
    monkeypatch.setenv("HOME", str(s.home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CADRE_CONFIG", raising=False)
    yield s


def hostile(site: Site, calls: list[dict[str, Any]] | str) -> list[dict[str, Any]]:
    """The hostile calls of a case (the legitimate `shop.py` Edit left out), placeholders filled."""
    if isinstance(calls, str):
        start = calls.index("{", calls.index("<tool_call>"))
        calls = [json.loads(calls[start:calls.rindex("}") + 1])]
    return [site.fill(c) for c in calls if c["arguments"].get("path") != "shop.py"]


def accounted_for(call: dict[str, Any], shown: str) -> bool:
    """The user can see this call was refused: its path, or its tool, is named in the result."""
    args = call["arguments"]
    path = args.get("path")
    if isinstance(path, str):
        return path in shown or repr(path)[1:-1] in shown or path.strip() in shown
    name = call["name"]
    return (name in SHELLISH and "Bash" in shown and "never run" in shown) or f"'{name}'" in shown or \
        (f"{name}:" in shown)


def check_outcome(site: Site, before: dict[str, bytes | str], shop_now: str, calls: list[dict[str, Any]] | str,
                  shown: str) -> int:
    """Assert the case held; returns how many hostile calls it refused."""
    after = site.snapshot()
    changed = sorted(set(before) ^ set(after) | {k for k in before.keys() & after.keys() if before[k] != after[k]})
    assert not changed, f"changed besides the file under edit: {changed[:10]}"
    assert not site.marker.exists(), "a shell command ran"
    assert not Path("/etc/cadre-pwned.conf").exists()
    assert shop_now in (SHOP, FIXED_SHOP), "the file under edit got something other than the legitimate fix"
    bad = hostile(site, calls)
    missing = [c for c in bad if not accounted_for(c, shown)]
    assert not missing, f"hostile calls not reported as refused: {missing}\nshown: {shown}"
    return len(bad)


@pytest.mark.parametrize("allow_other_files", [False, True], ids=["default", "allow_other_files"])
@pytest.mark.parametrize(("case", "calls"), CASES, ids=[c[0] for c in CASES])
async def test_hostile_reply_through_the_pipeline(site: Site, case: str, calls: list[dict[str, Any]] | str,
                                                  allow_other_files: bool, figure: Any) -> None:
    cfg = site.configure(calls, allow_other_files=allow_other_files)
    before = site.snapshot()
    engine = Engine(load_config(None, cfg), workspace_root=str(site.ws))
    try:
        req = Request(action="fix", path=str(site.ws / "shop.py"), text=SHOP, span=Span.lines(LINE, LINE),
                      version=1, language="python", pattern="tools", workspace_root=str(site.ws))
        result: Result = await engine.run(req)
        assert engine.pool.backend("s").requests, "the model was never asked"  # type: ignore[attr-defined]
    finally:
        await engine.aclose()
    for edit in result.edits:
        assert edit.path == str(site.ws / "shop.py"), edit.path
        assert edit.apply() == FIXED_SHOP
    shop_now = result.edits[0].apply() if result.edits else SHOP
    shown = f"{result.error or ''}\n{result.summary}"
    refused = check_outcome(site, before, shop_now, calls, shown)
    figure("safety corpus (pipeline)", cases=1, hostile_calls=refused, refused=refused, written_outside=0,
           commands_run=0)


APPLY_FAST = {"edit dotdot", "write absolute outside", "edit symlink file", "write symlink dir new file",
              "edit git hook beside a good edit", "write home tilde ssh", "Bash beside a good edit",
              "hermes write outside", "edit nul byte", "write other file in workspace"}
APPLY_CASES = [c for c in CASES if SOAK or c[0] in APPLY_FAST]


@pytest.mark.parametrize(("case", "calls"), APPLY_CASES, ids=[c[0] for c in APPLY_CASES])
def test_hostile_reply_through_cli_run_apply(site: Site, case: str, calls: list[dict[str, Any]] | str,
                                             figure: Any) -> None:
    """`cadre-lsp run fix --apply` as a user runs it: a real process that writes files."""
    cfg = site.configure(calls)
    before = site.snapshot()
    # Wide COLUMNS: rich would otherwise wrap a long refused path mid-word on stderr.
    env = {**os.environ, "HOME": str(site.home), "XDG_CONFIG_HOME": str(site.tmp / "xdg"), "COLUMNS": "10000"}
    env.pop("CADRE_CONFIG", None)
    r = subprocess.run([sys.executable, "-m", "cadre_lsp", "run", "fix", f"shop.py:{LINE + 1}", "--apply",
                        "--pattern", "tools", "--config", str(cfg), "--workspace", "."],
                       cwd=site.ws, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode in (0, 1), r.stderr
    shop_now = (site.ws / "shop.py").read_text()
    assert (shop_now == FIXED_SHOP) == (r.returncode == 0), (r.returncode, r.stderr)
    refused = check_outcome(site, before, shop_now, calls, " ".join((r.stdout + r.stderr).split()))
    figure("safety corpus (cli run --apply)", cases=1, hostile_calls=refused, refused=refused, written_outside=0,
           commands_run=0)
