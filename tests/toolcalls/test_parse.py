"""The parser against the corpus of real reply shapes, plus the never-raises property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadre_lsp.toolcalls import SHELL_REFUSED, ToolCall, extract_calls, parse_tool_calls, validate_call

from .corpus import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus(case: Case) -> None:
    calls = parse_tool_calls(case.text, case.native)
    good = [(c.name, c.arguments) for c in calls if c.error is None]
    broken = [c for c in calls if c.error is not None]
    assert good == case.expected
    assert len(broken) == case.errors, [c.error for c in broken]


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def test_extract_rejects_bash_with_reason_and_keeps_the_rest() -> None:
    text = (
        '<tool_call>{"name": "Bash", "arguments": {"command": "rm -rf ~"}}</tool_call>'
        '<tool_call>{"name": "Read", "arguments": {"path": "a.py"}}</tool_call>'
    )
    ex = extract_calls(text)
    assert ex.calls == [ToolCall("Read", {"path": "a.py"})]
    assert len(ex.rejected) == 1
    call, reason = ex.rejected[0]
    assert isinstance(call, ToolCall) and call.name == "Bash"
    assert reason == SHELL_REFUSED == "shell commands are never run"
    assert "Bash: shell commands are never run" in ex.feedback()


def test_extract_reports_invalid_calls_with_reasons() -> None:
    text = (
        '<tool_call>{"name": "Edit", "arguments": {"path": "a.py", "old_string": "x"}}</tool_call>'
        '<tool_call>{"name": "Edit", "arguments": {"path": "a.py", "old_string": "x", "new_string": "x"}}</tool_call>'
        '<tool_call>{"name": "Deploy", "arguments": {}}</tool_call>'
        '<tool_call>{"name": "Edit", "arguments": {"path": "a.py", "old_string": "y", "new_string": "z"</tool_call>'
    )
    ex = extract_calls(text)
    assert ex.calls == []
    reasons = [r for _, r in ex.rejected]
    assert reasons[0] == "Edit is missing 'new_string'"
    assert "changes nothing" in reasons[1]
    assert reasons[2].startswith("unknown tool 'Deploy'")
    assert "not valid JSON" in reasons[3] or "cut off" in reasons[3]
    feedback = ex.feedback()
    assert feedback.count("\n- ") == 4


def test_extract_deduplicates_and_filters_allowed_tools() -> None:
    one = '{"name": "Read", "arguments": {"path": "a.py"}}'
    report = '{"name": "Report", "arguments": {"findings": []}}'
    ex = extract_calls(f"[{one}, {one}, {report}]", allowed=("Edit", "Read"))
    assert ex.calls == [ToolCall("Read", {"path": "a.py"})]
    assert [r for _, r in ex.rejected] == ["Report is not available here (use Edit, Read)"]


def test_validate_call_types_and_extra_arguments() -> None:
    assert validate_call(ToolCall("Edit", {"path": "a", "old_string": 3, "new_string": "b"})) == (
        "Edit 'old_string' must be a string, got an integer")
    assert "unexpected argument 'mode'" in (
        validate_call(ToolCall("Edit", {"path": "a", "old_string": "x", "new_string": "y", "mode": 1})) or "")
    assert validate_call(ToolCall("Read", {"path": "a", "offset": 0})) == "Read 'offset' must be at least 1, got 0"
    assert validate_call(ToolCall("Read", {"path": "a", "offset": 2, "limit": 5})) is None


def test_report_findings_are_normalised_and_validated() -> None:
    text = ('{"name": "Report", "arguments": {"issues": [{"line": "4", "severity": "HIGH", "msg": "boom"},'
            ' {"start_line": 9, "end_line": 7, "severity": "low", "message": "x"}]}}')
    (call,) = parse_tool_calls(text)
    assert call.arguments["findings"][0] == {"start_line": 4, "end_line": 4, "severity": "error", "message": "boom"}
    assert validate_call(call) == "Report finding 2: end_line 7 is before start_line 9"


def test_read_offset_from_string_is_coerced() -> None:
    (call,) = parse_tool_calls('<tool_call>{"name": "read_file", "arguments": {"path": "a.py", "offset": "10"}}'
                               "</tool_call>")
    assert call == ToolCall("Read", {"path": "a.py", "offset": 10})


def test_markers_win_over_json_in_prose() -> None:
    text = ('For example {"name": "Glob", "arguments": {"pattern": "*"}} would list files.\n'
            '<tool_call>{"name": "Read", "arguments": {"path": "a.py"}}</tool_call>')
    assert parse_tool_calls(text) == [ToolCall("Read", {"path": "a.py"})]


def test_native_calls_win_over_text() -> None:
    native = [{"function": {"name": "Read", "arguments": {"path": "a.py"}}}]
    assert parse_tool_calls('{"name": "Glob", "arguments": {"pattern": "*"}}', native) == [
        ToolCall("Read", {"path": "a.py"})]


def test_deep_nesting_does_not_recurse_forever() -> None:
    text = "<tool_call>" + "[" * 5000 + "]" * 5000 + "</tool_call>"
    calls = parse_tool_calls(text)
    assert all(c.error for c in calls)
    assert not any("internal error" in (c.error or "") for c in calls)


_FRAGMENTS = st.sampled_from([
    "<tool_call>", "</tool_call>", "{", "}", "[", "]", '"name"', '"arguments"', ":", ",", '"Edit"', "'",
    '"', "\\", "```json\n", "```", "\n", "<think>", "</think>", "<|python_tag|>", "[TOOL_CALLS]",
    "<function=Edit>", "<parameter=path>", "</function>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>",
    "Edit(", ")", "path=", "True", "null", "1e999", "\\u12", "\x00", "[ARGS]", "/*", "//", '"""',
])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(_FRAGMENTS, st.text(max_size=5)), max_size=40).map("".join)))
def test_parser_never_raises(text: str) -> None:
    calls = parse_tool_calls(text)
    assert isinstance(calls, list)
    for call in calls:
        assert isinstance(call, ToolCall)
        assert not (call.error or "").startswith("internal error"), call.error
        assert isinstance(call.arguments, dict)
    ex = extract_calls(text)
    assert len(ex.calls) + len(ex.rejected) <= len(calls)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=10),
                          st.dictionaries(st.sampled_from(["name", "arguments", "function", "tool", "x"]),
                                          st.one_of(st.text(max_size=20), st.integers(), st.none(),
                                                    st.dictionaries(st.text(max_size=5), st.text(max_size=5)))),
                          ), max_size=5))
def test_native_garbage_never_raises(native: list) -> None:
    calls = parse_tool_calls("", native)
    assert not any((c.error or "").startswith("internal error") for c in calls)
