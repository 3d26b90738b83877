"""Speculative decoding A/B on the bundled 1.5B: the engine's own requests replayed on bare llama.cpp.

The requests are the ones the engine really sends (captured through ModelPool's factory, no model run):
`fix` on bench/bugs in the rewrite format and in the tool-call format, and `explain`. Each is replayed at
temperature 0 on an in-process xllamacpp Server per setting (`off`, the shipped `ngram`, a 0.5B draft
model, and variants), so the only difference between rows is the speculation. Reported per format and
setting: decode tokens/s, the llama.cpp time of the whole set (prompt + decode), drafted and accepted
tokens, and how many answers are identical to `off`'s (at temperature 0 they should all be).

    python -m bench --full --only speculative      # or: python -m bench.speculative_bench [SETTING ...]
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .metrics import Metric, median
from .model_bench import bug_request
from .report import conditions
from .scripted import load_bench_config

CODER = "qwen2.5-coder-1.5b"
DRAFTER = "qwen2.5-coder-0.5b"
SETTINGS = ("off", "ngram", f"draft:{DRAFTER}")
"""What `python -m bench` compares; `main()` takes any of these and the variants below."""
FORMATS = {"rewrite": 8, "tool_calls": 4, "explain": 4}
"""Format -> how many bugs (sorted bench/bugs files) it is measured on."""


class _Capture:
    """A ChatBackend that records the request and fails it: the engine builds its real prompt, no model runs.
    With `skip_schema`, structured calls (explain's example generation) get an empty answer instead, so
    the job goes on to the call that is measured."""

    def __init__(self, name: str, model: str, sink: list[dict[str, Any]], skip_schema: bool) -> None:
        self.name, self.model, self.sink, self.skip_schema = name, model, sink, skip_schema

    async def chat(self, messages: list[Any], **options: Any) -> Any:
        from cadre_lsp.models.base import Completion, ModelError

        if self.skip_schema and options.get("schema") is not None:
            return Completion(text="{}", model=self.model, endpoint=self.name)
        self.sink.append({"messages": messages, **{k: options[k] for k in ("tools", "schema", "max_tokens", "stop")
                                                  if options.get(k) is not None}})
        raise ModelError("captured (bench)", endpoint=self.name, transient=False)

    async def health(self, probe: bool = False) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


async def capture(root: Path) -> dict[str, list[dict[str, Any]]]:
    """format -> the first model request the engine makes for each bug (shipped embedded profile)."""
    from cadre_lsp.models.pool import ModelPool
    from cadre_lsp.pipeline import Engine

    from .fix_rate import bug_files

    out: dict[str, list[dict[str, Any]]] = {}
    for fmt, n in FORMATS.items():
        ws = root / fmt
        ws.mkdir(parents=True)
        cfg = ws / "cadre-bench.toml"
        edit_format = "tool_calls" if fmt == "tool_calls" else "rewrite"
        cfg.write_text(f'profile = "embedded"\n\n[generation]\ntemperature = 0.0\n\n[endpoints.coder]\n'
                       f'edit_format = "{edit_format}"\n', encoding="utf-8")
        sink: list[dict[str, Any]] = []
        config = load_bench_config(cfg)
        pool = ModelPool(config, factory=lambda name, c, sink=sink, skip=fmt == "explain": _Capture(name, c.model, sink, skip))
        engine = Engine(config, workspace_root=str(ws), pool=pool)
        try:
            for name in bug_files()[:n]:
                req = bug_request(ws, name, pattern="primary")
                if fmt == "explain":
                    req.action = "explain"
                before = len(sink)
                await engine.run(req)
                if len(sink) == before:
                    raise RuntimeError(f"{fmt} {name}: the engine made no model call")
                out.setdefault(fmt, []).append({"bug": name, **sink[before]})
        finally:
            await engine.aclose()
    return out


def server_for(setting: str) -> Any:
    """A 1-slot xllamacpp Server for the 1.5B with the given speculation: the shipped settings
    (`off`, `ngram`, `draft:MODEL`) through llama_params, or a variant: `ngram:N,M` (n-gram simple with a
    key of N tokens and drafts up to M), `ngram_mod`, `ngram_map_k`, `draft:MODEL:NMAX`."""
    import xllamacpp as xlc

    from cadre_lsp.models.bundled import ensure_model
    from cadre_lsp.models.embedded import _cpu_count, llama_params

    kind, _, arg = setting.partition(":")
    base = {"off": "off", "ngram": "ngram"}.get(kind, "off")
    if kind == "draft":
        model, _, n_max = arg.partition(":")
        base = f"draft:{ensure_model(model)}"
    p = llama_params(ensure_model(CODER), 4096, 1, _cpu_count(), secrets.token_urlsafe(8), base)
    spec, types = p.speculative, xlc.common_speculative_type
    if kind == "ngram" and arg:
        spec.ngram_simple.size_n, spec.ngram_simple.size_m = (int(x) for x in arg.split(","))
    elif kind == "ngram_mod":
        spec.types = [types.COMMON_SPECULATIVE_TYPE_NGRAM_MOD]
    elif kind == "ngram_map_k":
        spec.types = [types.COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K]
    elif kind == "draft" and n_max:
        spec.draft.n_max = int(n_max)
    elif kind not in ("off", "ngram", "draft"):
        raise ValueError(f"unknown speculative setting {setting!r}")
    return xlc.Server(p)


def _wire(req: dict[str, Any]) -> dict[str, Any]:
    """The request as the embedded backend builds it, temperature 0, not streamed."""
    from cadre_lsp.models.embedded import chat_request

    return chat_request(req["messages"], req.get("tools"), req.get("schema"), req.get("max_tokens", 512), 0.0,
                        req.get("stop"))


def replay(setting: str, requests: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    server = server_for(setting)
    server.handle_chat_completions({"messages": [{"role": "user", "content": "Say ok."}], "max_tokens": 2})
    out: dict[str, list[dict[str, Any]]] = {}
    for fmt, reqs in requests.items():
        for req in reqs:
            t0 = time.perf_counter()
            res = server.handle_chat_completions(_wire(req))
            wall = time.perf_counter() - t0
            if not isinstance(res, dict) or "choices" not in res:
                raise RuntimeError(f"{setting} {fmt} {req['bug']}: llama.cpp answered {str(res)[:200]}")
            t, msg = res.get("timings", {}), res["choices"][0]["message"]
            out.setdefault(fmt, []).append({
                "bug": req["bug"], "wall_s": wall, "prompt_ms": t.get("prompt_ms", 0.0),
                "predicted_ms": t.get("predicted_ms", 0.0), "predicted_n": t.get("predicted_n", 0),
                "draft_n": t.get("draft_n", 0), "draft_accepted": t.get("draft_n_accepted", 0),
                "text": (msg.get("content") or "") + json.dumps(msg.get("tool_calls") or [])})
    del server
    return out


def summarise(results: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """One row per (format, setting): decode tok/s, llama.cpp seconds, acceptance, speed-up, same answers."""
    rows = []
    base = results.get("off", {})
    for setting, by_fmt in results.items():
        for fmt, runs in by_fmt.items():
            decode_s = sum(r["predicted_ms"] for r in runs) / 1000
            llama_s = decode_s + sum(r["prompt_ms"] for r in runs) / 1000
            tokens = sum(r["predicted_n"] for r in runs)
            ref = {r["bug"]: r for r in base.get(fmt, [])}
            ref_s = sum(r["predicted_ms"] + r["prompt_ms"] for r in ref.values()) / 1000
            drafted, accepted = sum(r["draft_n"] for r in runs), sum(r["draft_accepted"] for r in runs)
            rows.append({"format": fmt, "setting": setting, "requests": len(runs), "tokens": tokens,
                         "decode_tok_s": round(tokens / max(1e-9, decode_s), 1), "llama_s": round(llama_s, 1),
                         "speedup": round(ref_s / llama_s, 2) if ref else None,
                         "drafted": drafted, "accepted": accepted,
                         "accept_pct": round(100.0 * accepted / drafted, 1) if drafted else None,
                         "same_as_off": sum(1 for r in runs if r["bug"] in ref and ref[r["bug"]]["text"] == r["text"]),
                         "decode_tok_s_per_request": [round(r["predicted_n"] / max(1e-9, r["predicted_ms"] / 1000), 1)
                                                      for r in runs]})
    return rows


def measure(settings: tuple[str, ...] = SETTINGS) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="cadre-bench-spec-") as tmp:
        requests = asyncio.run(capture(Path(tmp)))
    results = {s: replay(s, requests) for s in dict.fromkeys(("off", *settings))}
    return summarise(results)


def run(repeats: int = 1) -> list[Metric]:
    """`python -m bench --only speculative`: one metric per format, the shipped default's speed-up
    (llama.cpp time of the set, `off` / the format's shipped setting), every setting's row in `detail`."""
    del repeats  # one pass: temperature 0 makes the decodes identical, and each set takes minutes
    rows = measure()
    out = []
    for fmt in FORMATS:
        mine = [r for r in rows if r["format"] == fmt]
        ngram = next(r for r in mine if r["setting"] == "ngram")
        out.append(Metric(f"spec_{fmt}", f"speculative decoding, {fmt} ({ngram['requests']} requests, 1.5B): "
                          "llama.cpp time off / with n-gram speculation", ngram["speedup"] or float("nan"), "x",
                          detail={"rows": mine, "median_decode_tok_s_off": median(
                              [x for r in mine if r["setting"] == "off" for x in r["decode_tok_s_per_request"]])}))
    return out


def print_rows(rows: list[dict[str, Any]]) -> None:
    cols = ("format", "setting", "requests", "tokens", "decode_tok_s", "llama_s", "speedup", "drafted", "accepted",
            "accept_pct", "same_as_off")
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    got = measure(tuple(sys.argv[1:]) or SETTINGS)
    out = Path(__file__).resolve().parent / "results" / "speculative.json"
    out.write_text(json.dumps({"rows": got, "conditions": conditions()}, indent=1) + "\n",
                   encoding="utf-8")
    print_rows(got)
    print(f"wrote {out}")
