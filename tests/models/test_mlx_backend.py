"""MLXBackend through the real mlx-lm `load`/`stream_generate` path, on a tiny random model built here.

The model (a 2-layer llama, hidden size 32) and its byte-level BPE tokenizer with a ChatML template are
written to a temp directory; nothing is downloaded (the Hugging Face hub is set offline).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

pytest.importorskip("mlx_lm")

import huggingface_hub.constants as hf_constants
import mlx.core as mx
from mlx.utils import tree_flatten
from mlx_lm.models import llama
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from cadre_lsp.config.schema import EndpointConfig
from cadre_lsp.models import mlx_backend
from cadre_lsp.models.base import ChatBackend, ModelNotFound, ModelTimeout, UnsupportedFeature
from cadre_lsp.models.mlx_backend import MLXBackend

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
USER = [{"role": "user", "content": "Explain def add(a, b): return a + b"}]


def build_tiny_model(out: Path) -> Path:
    """A random 2-layer llama whose end-of-turn token can never win at temperature 0, so lengths are exact."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["def add(a, b):\n    return a + b\n", "Explain this function.", "Say OK."] * 20,
                            trainer)
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "chat_template": CHATML, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "model_max_length": 4096}))
    eos = tok.token_to_id("<|im_end|>")
    config = {"model_type": "llama", "hidden_size": 32, "num_hidden_layers": 2, "intermediate_size": 64,
              "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
              "vocab_size": tok.get_vocab_size(), "rope_theta": 10000.0, "tie_word_embeddings": True,
              "max_position_embeddings": 4096, "eos_token_id": eos}
    (out / "config.json").write_text(json.dumps(config))

    def make_weights() -> None:
        try:
            mx.random.seed(0)
            model = llama.Model(llama.ModelArgs.from_dict(config))
            emb = model.model.embed_tokens.weight
            model.model.embed_tokens.weight = emb * (mx.arange(emb.shape[0]) != eos)[:, None]  # logit 0
            mx.save_safetensors(str(out / "model.safetensors"), dict(tree_flatten(model.parameters())))
        finally:
            mx.clear_streams()  # mlx wants every thread that evaluated to drop its streams

    t = threading.Thread(target=make_weights)
    t.start()
    t.join()
    return out


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("mlx")
    with pytest.MonkeyPatch.context() as mp:  # offline, with an empty cache of our own
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_HUB_CACHE", str(tmp / "hf-cache"))
        mp.setattr(hf_constants, "HF_HUB_OFFLINE", True)
        mp.setattr(hf_constants, "HF_HUB_CACHE", str(tmp / "hf-cache"))
        yield build_tiny_model(tmp / "tiny-llama")


def make(path: str | Path, name: str = "mlx", **kw) -> MLXBackend:
    return MLXBackend(name, EndpointConfig(kind="mlx", model=str(path), **kw))


@pytest.fixture
async def backend(model_dir: Path) -> AsyncIterator[MLXBackend]:
    b = make(model_dir)
    yield b
    await b.aclose()


class GenerationSpy:
    """Wraps the real `stream_generate` to see how many tokens each run produced and when it stopped."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = mlx_backend.stream_generate
        self.tokens: list[int] = []
        self.closed = threading.Event()
        self.active = 0
        self.max_active = 0
        monkeypatch.setattr(mlx_backend, "stream_generate", self)

    def __call__(self, *args, **kwargs):
        self.tokens.append(0)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            for r in self.real(*args, **kwargs):
                self.tokens[-1] += 1
                yield r
        finally:
            self.active -= 1
            self.closed.set()


async def test_is_a_chat_backend(model_dir: Path) -> None:
    b = make(model_dir)
    assert isinstance(b, ChatBackend)
    await b.aclose()


async def test_streams_tokens_through_the_chat_template(model_dir: Path, backend: MLXBackend) -> None:
    seen: list[str] = []
    c = await backend.chat(USER, max_tokens=8, temperature=0.0, on_token=seen.append)
    assert seen and "".join(seen) == c.text
    assert c.finish_reason == "length"
    assert c.usage.completion_tokens == 8
    templated = f"<|im_start|>user\n{USER[0]['content']}<|im_end|>\n<|im_start|>assistant\n"
    assert c.usage.prompt_tokens == len(Tokenizer.from_file(str(model_dir / "tokenizer.json")).encode(templated).ids)
    assert c.timings.tokens_per_s and c.timings.first_token_s is not None and c.timings.total_s > 0
    assert (c.model, c.endpoint) == (str(model_dir), "mlx")


async def test_max_tokens_is_honoured_and_output_is_deterministic_at_temperature_0(backend: MLXBackend) -> None:
    a = await backend.chat(USER, max_tokens=3, temperature=0.0)
    b = await backend.chat(USER, max_tokens=3, temperature=0.0)
    assert a.usage.completion_tokens == 3 and a.finish_reason == "length"
    assert a.text == b.text
    sampled = await backend.chat(USER, max_tokens=5, temperature=0.9)
    assert sampled.usage.completion_tokens == 5


async def test_stop_strings_cut_the_answer(backend: MLXBackend) -> None:
    full = (await backend.chat(USER, max_tokens=16, temperature=0.0)).text
    assert len(full) >= 4
    stop = full[len(full) // 2:len(full) // 2 + 2]
    seen: list[str] = []
    c = await backend.chat(USER, max_tokens=16, temperature=0.0, stop=[stop], on_token=seen.append)
    assert c.text == full[:full.find(stop)]
    assert "".join(seen) == c.text
    assert c.finish_reason == "stop"


async def test_cancelling_stops_generation_at_the_next_token(backend: MLXBackend,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spy = GenerationSpy(monkeypatch)
    first = asyncio.Event()
    task = asyncio.create_task(backend.chat(USER, max_tokens=200_000, on_token=lambda _: first.set()))
    await asyncio.wait_for(first.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(spy.closed.wait, 30), "generation went on after the cancel"
    assert spy.tokens[0] < 200_000
    # the model is free again: the next call is served
    assert (await backend.chat(USER, max_tokens=2)).usage.completion_tokens == 2


async def test_timeout_stops_generation(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = GenerationSpy(monkeypatch)
    b = make(model_dir, timeout_s=0.5)
    with pytest.raises(ModelTimeout):
        await b.chat(USER, max_tokens=200_000)
    assert await asyncio.to_thread(spy.closed.wait, 30)
    assert spy.tokens[0] < 200_000
    await b.aclose()


async def test_endpoints_share_one_loaded_model_and_take_turns(model_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    real_load = mlx_backend.load
    monkeypatch.setattr(mlx_backend, "load", lambda path: loads.append(path) or real_load(path))
    spy = GenerationSpy(monkeypatch)
    a, b = make(model_dir, "coding"), make(model_dir / ".." / model_dir.name, "judge")
    assert not a.loaded
    results = await asyncio.gather(a.chat(USER, max_tokens=20), b.chat(USER, max_tokens=20),
                                   a.chat(USER, max_tokens=20))
    assert [r.usage.completion_tokens for r in results] == [20, 20, 20]
    assert loads == [str(model_dir.resolve())]
    assert spy.max_active == 1  # one sequence at a time per model
    assert a.loaded and b.loaded
    await a.aclose()
    assert b.loaded  # still used by b
    await b.aclose()
    c = make(model_dir)
    assert not c.loaded  # the last user closed: the cache let it go
    await c.aclose()


async def test_schema_is_unsupported(backend: MLXBackend) -> None:
    with pytest.raises(UnsupportedFeature):
        await backend.chat(USER, schema={"type": "object"})


async def test_missing_models(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as ei:
        await make(tmp_path / "nope").chat(USER)
    assert "no such directory" in str(ei.value)
    with pytest.raises(ModelNotFound) as ei:
        await make("nobody-here/no-such-model").chat(USER)  # offline and not cached
    assert "hf download nobody-here/no-such-model" in str(ei.value)


async def test_health(model_dir: Path, tmp_path: Path) -> None:
    b = make(model_dir)
    h = await b.health()
    assert (h.ok, h.reachable, h.model_present) == (True, True, True)
    assert "loads on first use" in h.detail
    h = await b.health(probe=True)
    assert h.ok and h.probe_s is not None and "loaded" in (await b.health()).detail
    await b.aclose()
    h = await make("nobody-here/no-such-model").health()
    assert (h.ok, h.model_present) == (False, False)
    assert "hf download nobody-here/no-such-model" in h.hint
    h = await make(tmp_path / "nope").health()
    assert (h.ok, h.model_present) == (False, False)
