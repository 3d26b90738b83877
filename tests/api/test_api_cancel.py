"""Hanging up cancels the pattern's model calls; the request timeout ends a stuck request; requests
run side by side."""

from __future__ import annotations

import threading

import httpx
import openai
import pytest

from api.conftest import ApiServer, wait_for

HELLO = [{"role": "user", "content": "Say hello"}]
LONG = " ".join(f"word{i}" for i in range(400))


def in_flight(api: ApiServer) -> int:
    return api.engine.pool.stats["s"].running


def test_closing_a_stream_cancels_the_model_call(serve) -> None:
    api: ApiServer = serve([{"reply": LONG}], tokens_per_s=20)
    stream = api.client().chat.completions.create(model="cadre:primary", messages=HELLO, stream=True)
    got = ""
    for chunk in stream:
        got += chunk.choices[0].delta.content or ""
        if "word2" in got:
            break
    stream.close()
    wait_for(lambda: api.requests()[-1]["cancelled"], "the scripted model call was cancelled")
    assert api.requests()[-1]["finished"] is None
    wait_for(lambda: in_flight(api) == 0, "the endpoint slot was released")


def test_hanging_up_on_a_plain_request_cancels_the_model_call(serve) -> None:
    api: ApiServer = serve([{"reply": "late", "latency_s": 60}])
    with pytest.raises(openai.APITimeoutError):
        api.client(timeout=0.5).chat.completions.create(model="cadre:validated", messages=HELLO)
    wait_for(lambda: api.requests() and api.requests()[-1]["cancelled"], "the scripted model call was cancelled")
    wait_for(lambda: in_flight(api) == 0, "the endpoint slot was released")


def test_request_timeout_is_504_and_stops_the_model(serve) -> None:
    api: ApiServer = serve([{"reply": "late", "latency_s": 60}], extra="[api]\nrequest_timeout_s = 0.3\n")
    with pytest.raises(openai.APIStatusError) as err:
        api.client().chat.completions.create(model="cadre:primary", messages=HELLO)
    assert err.value.status_code == 504
    assert "request_timeout_s" in err.value.message
    assert api.requests()[-1]["cancelled"]
    with pytest.raises(openai.APIError, match="timed out"):
        list(api.client().chat.completions.create(model="cadre:primary", messages=HELLO, stream=True))


def test_concurrent_requests_each_get_their_own_answer(serve) -> None:
    names = ["ann", "bob", "cyd", "dee"]
    api: ApiServer = serve([{"match": f"greet {n}", "reply": f"Hello {n}!"} for n in names], latency_s=1.0,
                           concurrency=4)
    answers: dict[str, str] = {}

    def ask(name: str) -> None:
        r = api.client().chat.completions.create(model="cadre:primary",
                                                 messages=[{"role": "user", "content": f"greet {name}"}])
        answers[name] = r.choices[0].message.content or ""

    threads = [threading.Thread(target=ask, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == {n: f"Hello {n}!" for n in names}
    reqs = api.requests()
    assert max(r["started"] for r in reqs) < min(r["finished"] for r in reqs)  # all four were in flight at once


def test_health_answers_while_a_request_is_running(serve) -> None:
    api: ApiServer = serve([{"reply": LONG}], tokens_per_s=20)
    stream = api.client().chat.completions.create(model="cadre:primary", messages=HELLO, stream=True)
    next(iter(stream))
    wait_for(lambda: in_flight(api) == 1, "the model call started")
    assert httpx.get(f"{api.url}/health").json()["models"][0]["stats"]["running"] == 1
    stream.close()
