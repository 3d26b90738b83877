"""The `cadre-lsp` command as a user runs it: real subprocesses, scripted models, exit codes, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BUGGY = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total -= p
    return total
'''
FIXED = BUGGY.replace("total -= p", "total += p")


def cli(*args: str, cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(cwd / "xdg"), **(env_extra or {})}
    env.pop("CADRE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "cadre_lsp", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "shop.py").write_text(BUGGY)
    script = [
        {"match": {"contains": ["has a bug"]}, "reply": f"```python\n{FIXED}```"},
        {"match": {"contains": ["Review this code"]},
         "reply": json.dumps({"findings": [{"start_line": 5, "end_line": 5, "severity": "error",
                                            "message": "subtracts instead of adding", "suggestion": "+="}]})},
        {"match": {"contains": ["Explain this"]}, "reply": "Adds up **prices**."},
    ]
    (tmp_path / "script.json").write_text(json.dumps(script))
    roles = "".join(f'{r} = ["s"]\n' for r in ("reasoning", "coding", "validator", "competitor", "judge",
                                                 "tools", "summarizer"))
    (tmp_path / ".cadre.toml").write_text(f'[endpoints.s]\nkind = "scripted"\nscript = "script.json"\n[roles]\n{roles}')
    return tmp_path


def test_fix_prints_a_diff_and_leaves_the_file(project: Path) -> None:
    r = cli("run", "fix", "shop.py:5", "--workspace", ".", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "-        total -= p\n+        total += p" in r.stdout
    assert r.stdout.startswith("--- a/shop.py")
    assert (project / "shop.py").read_text() == BUGGY
    assert "fix via primary" in r.stderr


def test_fix_apply_writes_the_file(project: Path) -> None:
    r = cli("run", "fix", "shop.py:2-6", "--apply", "-q", "--workspace", ".", cwd=project)
    assert r.returncode == 0, r.stderr
    assert (project / "shop.py").read_text() == FIXED


def test_review_prints_findings_with_lines(project: Path) -> None:
    r = cli("run", "review", "shop.py", "--workspace", ".", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "shop.py:5: error: subtracts instead of adding" in r.stdout


def test_explain_json(project: Path) -> None:
    r = cli("run", "explain", "shop.py:1", "--json", "-q", "--workspace", ".", cwd=project)
    data = json.loads(r.stdout)
    assert data["text"] == "Adds up **prices**." and data["route"]["role"] == "reasoning"


@pytest.mark.parametrize(("args", "needle"), [
    (("run", "fix", "nope.py"), "nope.py: cannot read"),
    (("run", "fix", "shop.py:99"), "lines must be within 1-6"),
    (("run", "fix", "shop.py", "--pattern", "magic"), "unknown pattern 'magic'"),
])
def test_user_errors_are_one_line_without_traceback(project: Path, args: tuple[str, ...], needle: str) -> None:
    r = cli(*args, "--workspace", ".", cwd=project)
    assert r.returncode in (1, 2)
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_config_typo_names_key_and_file(project: Path) -> None:
    (project / ".cadre.toml").write_text((project / ".cadre.toml").read_text() + "[hover]\nbudgt_ms = 5\n")
    r = cli("run", "fix", "shop.py", "--workspace", ".", cwd=project)
    assert r.returncode == 2
    assert "hover.budgt_ms" in r.stderr and ".cadre.toml" in r.stderr and "Traceback" not in r.stderr


def test_doctor_reports_scripted_endpoint_healthy(project: Path) -> None:
    r = cli("doctor", "--workspace", ".", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all endpoints healthy" in r.stdout


def test_doctor_fails_with_a_hint_when_a_model_is_missing(project: Path) -> None:
    (project / ".cadre.toml").write_text('profile = "ollama"\n[endpoints.reasoner]\nbase_url = "http://127.0.0.1:9"\n')
    r = cli("doctor", "--no-probe", "--workspace", ".", cwd=project)
    assert r.returncode == 1
    assert "unhealthy" in r.stdout
