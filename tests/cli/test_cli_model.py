"""`cadre-lsp run fix` on the real embedded model: the fix must make the function's test pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

BUGGY = '''def factorial(n):
    """Return n! for n >= 0."""
    result = 1
    for i in range(1, n):
        result *= i
    return result
'''


def test_run_fix_on_embedded_model_makes_the_test_pass(tmp_path: Path) -> None:
    (tmp_path / "mathx.py").write_text(BUGGY)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop("CADRE_CONFIG", None)
    r = subprocess.run([sys.executable, "-m", "cadre_lsp", "run", "fix", "mathx.py:4", "--apply", "-q",
                        "--workspace", "."], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "range(1, n)" in r.stdout and r.stdout.startswith("--- a/mathx.py")  # the diff was printed
    check = subprocess.run([sys.executable, "-c", "from mathx import factorial as f; "
                            "assert [f(0), f(1), f(5)] == [1, 1, 120], [f(0), f(1), f(5)]"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, (tmp_path / "mathx.py").read_text() + check.stderr


def test_doctor_reports_the_embedded_models_healthy(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop("CADRE_CONFIG", None)
    r = subprocess.run([sys.executable, "-m", "cadre_lsp", "doctor", "--workspace", str(tmp_path)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "qwen2.5-coder-1.5b" in r.stdout and "qwen2.5-coder-0.5b" in r.stdout
    assert "all endpoints healthy" in r.stdout
