"""The quick bench's pieces import and run: one fast metric end to end, its JSON, and the bug set.

No timed assertions (speed is what the bench reports, not what tests check): these tests only prove
the bench can run and says what it measured, and that each buggy function's check can fail.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUGS = REPO / "bench" / "bugs"


@pytest.fixture(autouse=True)
def _repo_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO))


def test_quick_overhead_writes_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "overhead", "--repeats", "1",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO / "server")})
    assert out.exists(), proc.stderr
    data = json.loads(out.read_text())
    assert data["mode"] == "quick"
    [m] = data["metrics"]
    assert m["id"] == "overhead"
    assert {"name", "value", "unit", "target", "pass"} <= set(m)
    assert m["error"] is None
    assert m["value"] > 0.9  # a wall time below the simulated model time would mean a broken measurement
    assert m["detail"]["steps"] == ["draft", "validate", "revise 1", "validate"]
    assert "orchestration overhead" in proc.stdout


def test_unknown_group_is_a_usage_error() -> None:
    from bench.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["--only", "nonsense"])
    assert exc.value.code == 2


def test_metric_judgement() -> None:
    from bench.metrics import Metric, failed, percentile

    assert Metric("a", "a", 1.01, "x", 1.02, "<=").passed is True
    assert Metric("a", "a", 1.03, "x", 1.02, "<=").passed is False
    assert Metric("a", "a", 95.0, "%", 90.0, ">=").passed is True
    assert Metric("a", "a", 3.0, "ms").passed is None
    assert failed("a", "a", "ms", "server did not start", target=5.0, op="<=").passed is False
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([5.0], 99) == 5.0


def test_scripted_workspace_config_loads(tmp_path: Path) -> None:
    from bench.scripted import ScriptedWorkspace, coder_script, load_bench_config

    ws = ScriptedWorkspace(tmp_path)
    cfg = load_bench_config(ws.write_config({"c": {"exchanges": coder_script(), "latency_s": 0.1}},
                                            roles={}, extra={"validated": {"rounds": 1}}))
    assert cfg.roles["validator"] == ["c"]
    assert cfg.endpoints["c"].latency_s == 0.1
    assert cfg.validated.rounds == 1


def test_each_bug_fails_its_check_and_the_reference_fix_passes(tmp_path: Path) -> None:
    fixes = json.loads((BUGS / "fixes.json").read_text())
    files = sorted(p.name for p in BUGS.glob("*.py"))
    assert len(files) >= 6 and sorted(fixes) == files
    for name, (buggy, fixed) in fixes.items():
        src = (BUGS / name).read_text()
        assert src.count(buggy) == 1, name
        with pytest.raises(AssertionError):
            runpy.run_path(str(BUGS / name))["check"]()
        good = tmp_path / name
        good.write_text(src.replace(buggy, fixed))
        runpy.run_path(str(good))["check"]()


def test_fix_rate_check_runner_tells_pass_from_fail(tmp_path: Path) -> None:
    from bench.fix_rate import passes_check

    bad = tmp_path / "bad.py"
    bad.write_text((BUGS / "clamp.py").read_text())
    good = tmp_path / "good.py"
    good.write_text((BUGS / "clamp.py").read_text().replace("min(x, lo)", "min(x, hi)"))
    assert passes_check(good)
    assert not passes_check(bad)


def test_speculative_bench_replays_the_engines_own_first_request_per_format(tmp_path: Path) -> None:
    """The A/B replays what the engine sends (no model runs): the rewrite prompt, the tool-call request
    with its JSON schema, and the explanation itself (not the example generation before it)."""
    import asyncio

    from bench import speculative_bench as sb

    got = asyncio.run(sb.capture(tmp_path))
    assert {f: len(r) for f, r in got.items()} == sb.FORMATS
    first = {f: r[0] for f, r in got.items()}
    assert all(r["bug"] == "average.py" for r in first.values())
    assert "def average" in first["rewrite"]["messages"][-1]["content"] and "schema" not in first["rewrite"]
    assert "schema" in first["tool_calls"] and "tool calls" in first["tool_calls"]["messages"][-1]["content"]
    assert "schema" not in first["explain"] and first["explain"]["messages"][-1]["content"].startswith("Explain")
    wire = sb._wire(first["tool_calls"])
    assert wire["temperature"] == 0.0 and wire["response_format"]["type"] == "json_schema"


def test_fix_rate_speculative_setting_goes_to_the_coder_only(tmp_path: Path) -> None:
    from bench.fix_rate import _config
    from bench.scripted import load_bench_config

    off = load_bench_config(_config(tmp_path, "off"))
    shipped = load_bench_config(_config(tmp_path))
    assert off.endpoints["coder"].speculative == "off" and shipped.endpoints["coder"].speculative == "ngram"
    assert off.endpoints["fast"].speculative == shipped.endpoints["fast"].speculative == "off"
