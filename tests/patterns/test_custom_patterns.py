"""Custom patterns declared in config: parsed, validated at load time, interpreted step by step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cadre_lsp.config import ConfigError, load_config
from cadre_lsp.patterns.verdicts import parse_choice, parse_verdict
from fakes.scripted_workspace import FIXED, SOURCE, Workspace, block, requests_of, verdict

FIXED_SOURCE = SOURCE.replace("total -= p", "total += p")

CUSTOM = """
[patterns.plan_then_race]
description = "reasoning plans, two coders race, a judge picks, the validator checks"
steps = [
  { kind = "generate", role = "reasoning", prompt = "plan" },
  { kind = "generate", role = "coding" },
  { kind = "generate", role = "competitor", temperature = 0.7 },
  { kind = "judge", role = "judge" },
  { kind = "validate", role = "validator", until = "pass", max_rounds = 1 },
]
"""


async def test_custom_pattern_runs_its_steps(ws: Workspace) -> None:
    eng = ws.engine({
        "arch": {"exchanges": [{"reply": "1. use += instead of -="}]},
        "a": {"exchanges": [{"reply": block(FIXED), "latency_s": 0.2}]},
        "b": {"exchanges": [{"reply": block(FIXED), "latency_s": 0.2}]},
        "j": {"exchanges": [{"reply": json.dumps({"choice": "B", "reason": "same"})}]},
        "v": {"exchanges": [{"reply": verdict("PASS")}]},
    }, roles={"coding": "a", "competitor": "b", "judge": "j", "validator": "v"}, extra=CUSTOM)
    res = await eng.run(ws.request(pattern="plan_then_race"))
    assert res.error is None, res.summary
    assert res.edits[0].apply() == FIXED_SOURCE
    names = [s.name for s in res.steps]
    assert names[0] == "plan" and names[-2:] == ["judge", "validate"]  # the chat API names it the same
    assert "use += instead of -=" in requests_of(eng, "a")[0]["messages"][-1]["content"]
    ra, rb = requests_of(eng, "a")[0], requests_of(eng, "b")[0]
    assert rb["started"] < ra["finished"]  # consecutive generate steps ran in parallel


def test_custom_pattern_in_workspace_config_is_offered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / ".cadre.toml").write_text(CUSTOM)
    from cadre_lsp.router import pattern_names

    assert "plan_then_race" in pattern_names(load_config(tmp_path))


@pytest.mark.parametrize(("steps", "needle"), [
    ('[{ kind = "judge", role = "judge" }]', "step 1 (judge): needs an earlier generate"),
    ('[{ kind = "generate", role = "coding", prompt = "nosuch" }]', "unknown prompt template 'nosuch'"),
    ('[{ kind = "generate", role = "coding", prompt = "Fix {cod} now" }]', "unknown placeholder {cod}"),
    ('[{ kind = "generate", role = "coding", until = "pass" }]', "`until` only applies to validate"),
    ('[{ kind = "generat", role = "coding" }]', "generat"),
    ("[]", "at least one step"),
])
def test_bad_custom_pattern_names_the_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: str,
                                           needle: str) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / ".cadre.toml").write_text(f"[patterns.bad]\nsteps = {steps}\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert needle in str(info.value) and "patterns.bad" in str(info.value)


@pytest.mark.parametrize(("text", "expected"), [
    ('{"verdict": "PASS", "reasons": []}', True),
    ('```json\n{"verdict": "FAIL", "reasons": ["off by one"]}\n```', False),
    ("PASS", True),
    ("**FAIL**: the loop subtracts", False),
    ("Verdict: PASS\nThis would FAIL only if prices were strings.", True),
    ("FAIL:\n- returns 0\n- ignores input", False),
    ("I think it looks reasonable.", None),
])
def test_parse_verdict_is_robust(text: str, expected: bool | None) -> None:
    passed, reasons = parse_verdict(text)
    assert passed is expected
    if expected is False:
        assert reasons


def test_parse_choice() -> None:
    assert parse_choice('{"choice": "B", "reason": "x"}', ["A", "B"])[0] == "B"
    assert parse_choice("B is better because A has a bug", ["A", "B"])[0] == "B"
    assert parse_choice("Solution C", ["A", "B"])[0] is None
