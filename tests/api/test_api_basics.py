"""/v1/models, /v1/chat/completions (plain and streaming), /health and the error shapes, with the real
openai client."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from api.conftest import ApiServer

HELLO = [{"role": "user", "content": "Say hello to the world"}]
ANSWER = "Hello, world! Nice to meet you."


def test_models_lists_builtin_and_custom_patterns(serve) -> None:
    api: ApiServer = serve([], extra='[patterns.plan_race]\nsteps = [{ kind = "generate", role = "coding" }]\n')
    ids = [m.id for m in api.client().models.list()]
    assert ids == ["cadre:primary", "cadre:tools", "cadre:hybrid", "cadre:validated", "cadre:compete",
                   "cadre:auto", "cadre:plan_race"]


def test_non_streaming_answer_passes_options_to_the_model(serve) -> None:
    api: ApiServer = serve([{"match": "hello to the world", "reply": ANSWER}])
    r = api.client().chat.completions.create(model="cadre:primary", messages=HELLO, temperature=0.6,
                                             max_tokens=77)
    assert r.choices[0].message.content == ANSWER
    assert r.choices[0].finish_reason == "stop"
    assert r.model == "cadre:primary"
    assert r.usage is not None and r.usage.completion_tokens > 0
    sent = api.requests()[-1]
    assert (sent["temperature"], sent["max_tokens"]) == (0.6, 77)
    assert sent["messages"][-1] == {"role": "user", "content": "Say hello to the world"}
    assert r.model_extra["cadre"]["answered_by"] == "scripted-model"


def test_streaming_sends_the_answer_in_pieces_as_it_is_generated(serve) -> None:
    api: ApiServer = serve([{"match": "hello to the world", "reply": ANSWER}], tokens_per_s=200)
    chunks = list(api.client().chat.completions.create(model="cadre:primary", messages=HELLO, stream=True,
                                                       stream_options={"include_usage": True}))
    text_chunks = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(text_chunks) == ANSWER
    assert len(text_chunks) == len(ANSWER.split())  # one chunk per generated token, not one blob
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len(ANSWER.split())


def test_content_parts_and_developer_role_are_read_as_text(serve) -> None:
    api: ApiServer = serve([{"match": {"contains": ["Be terse.", "hello to the world"]}, "reply": "hi"}])
    r = api.client().chat.completions.create(model="cadre:primary", messages=[
        {"role": "developer", "content": "Be terse."},
        {"role": "user", "content": [{"type": "text", "text": "Say hello "}, {"type": "text", "text": "to the world"}]},
    ])
    assert r.choices[0].message.content == "hi"
    assert api.requests()[-1]["messages"][0] == {"role": "system", "content": "Be terse."}


def test_unknown_model_is_404_naming_the_known_ones(serve) -> None:
    api: ApiServer = serve([])
    with pytest.raises(openai.NotFoundError) as err:
        api.client().chat.completions.create(model="gpt-4o", messages=HELLO)
    assert err.value.body["code"] == "model_not_found"
    assert "cadre:validated" in err.value.body["message"]
    assert api.requests() == []


@pytest.mark.parametrize(("body", "param"), [
    ({"model": "cadre:primary"}, "messages"),
    ({"model": "cadre:primary", "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
    ({"model": "cadre:primary", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
     "messages[0].content"),
    ({"model": "cadre:primary", "messages": HELLO, "temperature": "hot"}, "temperature"),
    ({"model": "cadre:primary", "messages": HELLO, "max_tokens": 0}, "max_tokens"),
    ({"model": "cadre:primary", "messages": HELLO, "tools": [{"type": "function"}]}, "tools[0]"),
    ({"model": "cadre:primary", "messages": HELLO, "n": 3}, "n"),
    ({"messages": HELLO}, "model"),
])
def test_bad_requests_are_400_naming_the_parameter(serve, body, param) -> None:
    api: ApiServer = serve([{"reply": "never"}])
    r = httpx.post(f"{api.url}/v1/chat/completions", json=body)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == param
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert api.requests() == []


def test_body_that_is_not_json_is_400(serve) -> None:
    api: ApiServer = serve([])
    r = httpx.post(f"{api.url}/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not JSON" in r.json()["error"]["message"]


def test_backend_down_is_503_plain_and_an_error_event_when_streaming(serve) -> None:
    api: ApiServer = serve([{"error": "unavailable"}])
    with pytest.raises(openai.InternalServerError) as err:
        api.client().chat.completions.create(model="cadre:primary", messages=HELLO)
    assert err.value.status_code == 503
    assert "connection refused" in err.value.message
    with pytest.raises(openai.APIError, match="connection refused"):
        list(api.client().chat.completions.create(model="cadre:primary", messages=HELLO, stream=True))


def test_health_reports_each_model_with_its_stats(serve) -> None:
    api: ApiServer = serve([{"reply": "ok"}])
    api.client().chat.completions.create(model="cadre:primary", messages=HELLO)
    r = httpx.get(f"{api.url}/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    [model] = body["models"]
    assert (model["endpoint"], model["model"], model["ok"]) == ("s", "scripted-model", True)
    assert "coding" in model["roles"]
    assert model["stats"]["calls"] == 1


def test_token_is_required_when_configured(serve, monkeypatch) -> None:
    monkeypatch.setenv("API_TEST_TOKEN", "s3cret")
    api: ApiServer = serve([{"reply": "ok"}], extra='[api]\ntoken = "${API_TEST_TOKEN}"\n')
    with pytest.raises(openai.AuthenticationError):
        api.client(api_key="wrong").models.list()
    assert httpx.get(f"{api.url}/health").status_code == 401
    r = api.client(api_key="s3cret").chat.completions.create(model="cadre:primary", messages=HELLO)
    assert r.choices[0].message.content == "ok"


def test_sse_comments_carry_progress_and_clients_ignore_them(serve) -> None:
    api: ApiServer = serve([{"reply": "ok"}])
    with httpx.stream("POST", f"{api.url}/v1/chat/completions",
                      json={"model": "cadre:primary", "messages": HELLO, "stream": True}) as r:
        lines = [ln for ln in r.iter_lines() if ln]
    comments = [ln for ln in lines if ln.startswith(":")]
    assert any("primary:" in c for c in comments)
    assert lines[-1] == "data: [DONE]"
    data = [json.loads(ln[6:]) for ln in lines if ln.startswith("data: {")]
    assert "".join(d["choices"][0]["delta"].get("content") or "" for d in data) == "ok"
