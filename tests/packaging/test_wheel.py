"""cadre-lsp as pipx, `uv tool install` or a PyPI release install it: an sdist and a wheel built the way a
release is (`python -m build`: the wheel from the sdist), the wheel installed with its dependencies into a fresh
venv (not editable, no project source on the path), and the `cadre-lsp` command run from there.

Every other test runs from the editable install, where the shipped config is found beside the sources; this
is the only one that proves the built artifacts carry it (a wheel without it stops at its first command with
".../shipped_config/cadre.toml: cannot read").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.relative_to(ROOT / "server").as_posix()
                 for p in (ROOT / "server" / "cadre_lsp" / "shipped_config").rglob("*.toml"))

pytestmark = pytest.mark.packaging


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CADRE_", "VIRTUAL_ENV"))}
    env.update(XDG_CONFIG_HOME=str(home / "xdg-config"), XDG_CACHE_HOME=str(home / "xdg-cache"),
               PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class Installed:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.dist = root / "dist"
        self.env = _env(root)
        self.timings: dict[str, float] = {}

    def step(self, name: str, cmd: list[str | Path], timeout: float = 600) -> None:
        t0 = time.monotonic()
        r = _run(cmd, self.root, self.env, timeout)
        self.timings[name] = round(time.monotonic() - t0, 1)
        assert r.returncode == 0, f"{name} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"

    def wheel(self) -> Path:
        (whl,) = self.dist.glob("*.whl")
        return whl

    def sdist(self) -> Path:
        (sd,) = self.dist.glob("*.tar.gz")
        return sd

    def cadre(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return _run([_bin(self.venv, "cadre-lsp"), *args], cwd, self.env, 120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    inst = Installed(tmp_path_factory.mktemp("packaging"))
    inst.step("venv", [sys.executable, "-m", "venv", inst.venv])
    py = _bin(inst.venv, "python")
    inst.step("install build", [py, "-m", "pip", "install", "-q", "build"])
    # sdist first, then the wheel from the unpacked sdist: what a release (and pip from an sdist) does.
    inst.step("build sdist+wheel", [py, "-m", "build", "-q", "--outdir", inst.dist, ROOT])
    inst.step("install wheel", [py, "-m", "pip", "install", "-q", inst.wheel()])
    print(f"packaging timings (s): {inst.timings}; wheel {inst.wheel().stat().st_size // 1024} KiB")
    return inst


def test_the_wheel_and_the_sdist_carry_the_shipped_config(installed: Installed) -> None:
    assert SHIPPED and "cadre_lsp/shipped_config/cadre.toml" in SHIPPED
    assert "cadre_lsp/shipped_config/profiles/embedded.toml" in SHIPPED
    names = set(zipfile.ZipFile(installed.wheel()).namelist())
    assert set(SHIPPED) <= names, set(SHIPPED) - names
    with tarfile.open(installed.sdist()) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {f"server/{p}" for p in SHIPPED} <= members
    # The top-level config/ is a link to the package's copy for users and docs, not a second copy to drift.
    assert (ROOT / "config" / "cadre.toml").resolve() == (ROOT / "server/cadre_lsp/shipped_config/cadre.toml").resolve()


def test_the_installed_package_is_the_wheel_not_the_source_tree(installed: Installed) -> None:
    r = _run([_bin(installed.venv, "python"), "-c",
              "import cadre_lsp, cadre_lsp.config.loader as l; print(cadre_lsp.__file__); print(l.SHIPPED_DIR)"],
             installed.root, installed.env)
    assert r.returncode == 0, r.stderr
    module, shipped = r.stdout.split()
    venv = str(installed.venv.resolve())
    assert module.startswith(venv) and "site-packages" in module, module
    assert shipped.startswith(venv) and Path(shipped, "cadre.toml").is_file()


def test_doctor_runs_on_the_shipped_profile(installed: Installed, tmp_path: Path) -> None:
    r = installed.cadre("doctor", "--no-probe", "--workspace", ".", cwd=tmp_path)
    out = r.stdout + r.stderr
    assert "cannot read" not in out and "Traceback" not in out, out
    # The shipped default profile is read; whether its models are here is doctor's verdict (0 or 1), not an error.
    assert r.returncode in (0, 1), out
    assert "profile: embedded" in out


BUGGY = "def total(prices):\n    t = 0\n    for p in prices:\n        t -= p\n    return t\n"
FIXED = BUGGY.replace("t -= p", "t += p")


def test_a_scripted_fix_runs_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(BUGGY)
    (tmp_path / "script.json").write_text(json.dumps([{"match": {"contains": ["has a bug"]},
                                                       "reply": f"```python\n{FIXED}```"}]))
    roles = "".join(f'{r} = ["s"]\n' for r in ("reasoning", "coding", "validator", "competitor", "judge",
                                                 "tools", "summarizer"))
    (tmp_path / ".cadre.toml").write_text(f'[endpoints.s]\nkind = "scripted"\nscript = "script.json"\n[roles]\n{roles}')
    r = installed.cadre("run", "fix", "shop.py:4", "--workspace", ".", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "-        t -= p\n+        t += p" in r.stdout


def test_serve_answers_initialize(installed: Installed, tmp_path: Path) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}})
    exit_ = json.dumps({"jsonrpc": "2.0", "method": "exit"})
    frames = "".join(f"Content-Length: {len(m)}\r\n\r\n{m}" for m in (body, exit_))
    r = subprocess.run([str(_bin(installed.venv, "cadre-lsp")), "serve"], cwd=tmp_path, env=installed.env,
                       input=frames, capture_output=True, text=True, timeout=60)
    assert '"id": 1' in r.stdout or '"id":1' in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    assert "codeActionProvider" in r.stdout
