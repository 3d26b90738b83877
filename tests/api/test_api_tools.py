"""Client tools: offered to the model natively, calls read from native output or Hermes text, mapped
back to the client's names, checked against the client's schemas, returned OpenAI-shaped."""

from __future__ import annotations

import json

import openai
import pytest

from api.conftest import ApiServer

ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": ["string", "null"]}},
                   "required": ["city"], "additionalProperties": False}}}
READ = {"type": "function", "function": {
    "name": "read_file", "description": "Read a file.",
    "parameters": {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]}}}


def hermes(name: str, args: dict) -> str:
    return f'<tool_call>{{"name": "{name}", "arguments": {json.dumps(args)}}}</tool_call>'


def test_native_tool_call_comes_back_openai_shaped(serve) -> None:
    api: ApiServer = serve([{"reply": "", "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}])
    r = api.client().chat.completions.create(model="cadre:tools", messages=ASK, tools=[WEATHER])
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.id.startswith("call_")
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    assert api.requests()[-1]["tools"] == [WEATHER]


def test_hermes_text_call_keeps_the_clients_tool_and_argument_names(serve) -> None:
    # The shared parser canonicalises read_file/file_path to our Read/path; the client must get its own.
    api: ApiServer = serve([{"reply": "Let me look.\n" + hermes("read_file", {"file_path": "a.py"})}])
    r = api.client().chat.completions.create(model="cadre:primary", messages=ASK, tools=[READ, WEATHER])
    [call] = r.choices[0].message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == ("read_file", {"file_path": "a.py"})
    assert r.choices[0].message.content == "Let me look."


def test_a_call_that_breaks_the_schema_is_sent_back_once(serve) -> None:
    api: ApiServer = serve([
        {"match": "were rejected", "reply": hermes("get_weather", {"city": "Paris", "unit": None})},
        {"reply": hermes("get_weather", {"town": "Paris"})},
    ])
    r = api.client().chat.completions.create(model="cadre:tools", messages=ASK, tools=[WEATHER])
    [call] = r.choices[0].message.tool_calls
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": None}
    retry = api.requests()[-1]["messages"][-1]["content"]
    assert "missing 'city'" in retry


def test_streamed_tool_calls_arrive_as_a_delta_and_no_markup_leaks_into_text(serve) -> None:
    api: ApiServer = serve([{"reply": "Checking. " + hermes("get_weather", {"city": "Paris"})}], tokens_per_s=500)
    chunks = list(api.client().chat.completions.create(model="cadre:tools", messages=ASK, tools=[WEATHER],
                                                       stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert text == "Checking." and "<tool_call>" not in text
    assert [(tc.index, tc.function.name, json.loads(tc.function.arguments)) for tc in calls] == \
        [(0, "get_weather", {"city": "Paris"})]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_required_tool_choice_without_a_call_is_an_error_not_a_guess(serve) -> None:
    api: ApiServer = serve([{"reply": "It is sunny, I think."}])
    with pytest.raises(openai.APIStatusError) as err:
        api.client().chat.completions.create(model="cadre:tools", messages=ASK, tools=[WEATHER],
                                             tool_choice="required")
    assert err.value.status_code == 502
    assert "no valid call to get_weather" in err.value.message
    assert "get_weather now" in api.requests()[-1]["messages"][-1]["content"]  # it was asked once more


def test_tool_choice_none_hides_the_tools_and_a_named_unknown_tool_is_400(serve) -> None:
    api: ApiServer = serve([{"reply": "Sunny."}])
    r = api.client().chat.completions.create(model="cadre:tools", messages=ASK, tools=[WEATHER], tool_choice="none")
    assert r.choices[0].message.content == "Sunny." and r.choices[0].message.tool_calls is None
    assert api.requests()[-1]["tools"] is None
    with pytest.raises(openai.BadRequestError, match="nope"):
        api.client().chat.completions.create(model="cadre:tools", messages=ASK, tools=[WEATHER],
                                             tool_choice={"type": "function", "function": {"name": "nope"}})
