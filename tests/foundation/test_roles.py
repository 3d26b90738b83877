"""The role pool: fallback chains, retries on transient errors only, timeouts, concurrency, stats."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from cadre_lsp.config import load_config
from cadre_lsp.models import ModelError, ModelPool
from cadre_lsp.models.base import ModelNotFound


def make_pool(tmp_path: Path, endpoints: dict[str, dict[str, Any]], roles: dict[str, list[str]],
              **extra: Any) -> ModelPool:
    lines = [f"{k} = {json.dumps(v)}\n" for k, v in extra.items()]
    for name, spec in endpoints.items():
        script = tmp_path / f"{name}.json"
        script.write_text(json.dumps(spec.pop("exchanges")))
        lines.append(f"[endpoints.{name}]\nkind = \"scripted\"\nscript = \"{script}\"\nbackoff_s = 0.01\n")
        lines.extend(f"{k} = {json.dumps(v)}\n" for k, v in spec.items())
    lines.append("[roles]\n" + "".join(f"{r} = {json.dumps(v)}\n" for r, v in roles.items()))
    cfg_path = tmp_path / "c.toml"
    cfg_path.write_text("profile = \"tiny\"\n" + "".join(lines))
    return ModelPool(load_config(None, cfg_path))


MSG = [{"role": "user", "content": "hello"}]


async def test_fallback_to_next_endpoint_on_failure(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {
        "a": {"exchanges": [{"error": "unavailable"}], "retries": 0},
        "b": {"exchanges": [{"reply": "from b"}]},
    }, {"coding": ["a", "b"]})
    c = await pool.chat("coding", MSG)
    assert c.text == "from b"
    assert c.fell_back_from == ["a"]
    stats = pool.stats_dict()
    assert stats["a"]["failures"] == 1 and stats["a"]["fallbacks"] == 1
    assert stats["b"]["calls"] == 1


async def test_fallback_role_is_tried_after_the_roles_chain(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {
        "a": {"exchanges": [{"error": "not_found"}]},
        "r": {"exchanges": [{"reply": "reasoner"}]},
    }, {"coding": ["a"], "reasoning": ["r"], "validator": ["r"], "judge": ["r"], "competitor": ["r"],
        "tools": ["r"], "summarizer": ["r"]})
    c = await pool.chat("coding", MSG)
    assert c.text == "reasoner" and c.endpoint == "r"


async def test_transient_errors_are_retried_then_succeed(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {
        "a": {"exchanges": [{"reply": ["", "", "third time"], "error": ["http500", "die_midstream", None]}],
              "retries": 2},
    }, {"coding": ["a"]})
    c = await pool.chat("coding", MSG)
    assert c.text == "third time"
    assert pool.stats_dict()["a"]["retries"] == 2


async def test_permanent_errors_are_not_retried(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {"a": {"exchanges": [{"error": "not_found"}], "retries": 3}},
                     {"coding": ["a"], "reasoning": ["a"]})
    with pytest.raises(ModelNotFound):
        await pool.chat("coding", MSG)
    assert pool.stats_dict()["a"]["retries"] == 0
    assert len(pool.backend("a").requests) == 1  # type: ignore[attr-defined]


async def test_timeout_is_enforced_and_named(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {"slow": {"exchanges": [{"reply": "late", "latency_s": 5}], "timeout_s": 0.05,
                                         "retries": 0}}, {"coding": ["slow"], "reasoning": ["slow"]})
    with pytest.raises(ModelError, match=r"timed out after 0.05s"):
        await pool.chat("coding", MSG)


async def test_concurrency_limit_queues_requests(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {"a": {"exchanges": [{"reply": "x", "latency_s": 0.05}], "concurrency": 1}},
                     {"coding": ["a"]})
    tasks = [asyncio.create_task(pool.chat("coding", MSG)) for _ in range(3)]
    await asyncio.sleep(0.02)
    s = pool.stats_dict()["a"]
    assert s["running"] == 1 and s["waiting"] == 2
    await asyncio.gather(*tasks)
    s = pool.stats_dict()["a"]
    assert s["running"] == 0 and s["waiting"] == 0 and s["calls"] == 3


async def test_cancel_while_waiting_releases_bookkeeping(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {"a": {"exchanges": [{"reply": "x", "latency_s": 0.2}]}}, {"coding": ["a"]})
    first = asyncio.create_task(pool.chat("coding", MSG))
    second = asyncio.create_task(pool.chat("coding", MSG))
    await asyncio.sleep(0.02)
    second.cancel()
    first.cancel()
    await asyncio.gather(first, second, return_exceptions=True)
    s = pool.stats_dict()["a"]
    assert s["waiting"] == 0 and s["running"] == 0
    c = await asyncio.wait_for(pool.chat("coding", MSG), 2)  # the slot was released
    assert c.text == "x"


async def test_stats_report_latency_and_tokens(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {"a": {"exchanges": [{"reply": "one two three four", "tokens_per_s": 200}]}},
                     {"coding": ["a"]})
    for _ in range(3):
        await pool.chat("coding", MSG)
    s = pool.stats_dict()["a"]
    assert s["calls"] == 3 and s["completion_tokens"] == 12
    assert s["p50_s"] is not None and s["p95_s"] >= s["p50_s"]
    assert s["tokens_per_s"] and s["tokens_per_s"] > 0


async def test_unknown_role_is_a_clear_error(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {"a": {"exchanges": [{"reply": "x"}]}}, {"coding": ["a"]}, fallback_role="coding")
    pool.config.roles.pop("judge", None)
    pool.config.fallback_role = None
    with pytest.raises(ModelError, match="role 'judge' has no endpoints"):
        pool.chain("judge")


async def test_scripted_unmatched_request_names_the_script(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, {"a": {"exchanges": [{"match": "only this", "reply": "x"}]}},
                     {"coding": ["a"], "reasoning": ["a"]})
    with pytest.raises(ModelError, match=r"no exchange in .*a\.json matches"):
        await pool.chat("coding", MSG)


async def test_reconfigure_keeps_unchanged_backends_and_drains_the_old_pool(tmp_path: Path) -> None:
    from cadre_lsp.pipeline import Engine

    pool = make_pool(tmp_path, {"a": {"exchanges": [{"reply": "x", "latency_s": 0.2}]},
                                "b": {"exchanges": [{"reply": "y"}]}}, {"coding": ["a"], "reasoning": ["b"]})
    engine = Engine(pool.config, pool=pool)
    backend_a = pool.backend("a")
    running = asyncio.create_task(pool.chat("coding", MSG))
    await asyncio.sleep(0.05)
    new_cfg = load_config(None, tmp_path / "c.toml")
    new_cfg.hover.budget_ms = 1  # an unrelated setting changed
    await engine.reconfigure(new_cfg)
    assert engine.pool is not pool and engine.pool.backend("a") is backend_a  # no reload
    assert (await running).text == "x"  # the call in flight finished on the old pool
    await asyncio.sleep(0.3)
    assert pool.active == 0 and not pool._backends
    await engine.aclose()
