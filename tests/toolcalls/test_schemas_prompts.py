"""Tool specs, constrained-output schemas, findings mapping and prompt shape."""

from __future__ import annotations

import json
import re

from cadre_lsp.core import Finding
from cadre_lsp.patterns.review import parse_findings
from cadre_lsp.toolcalls import (
    ALL_TOOLS,
    EDIT_TOOLS,
    Extraction,
    ToolCall,
    edit_calls_schema,
    extraction_messages,
    number_lines,
    parse_tool_calls,
    report_schema,
    response_format,
    retry_messages,
    tool_specs,
)
from cadre_lsp.toolcalls.call_checks import check_schema


def test_tool_specs_are_openai_function_entries() -> None:
    specs = tool_specs(ALL_TOOLS)
    assert [s["function"]["name"] for s in specs] == ["Edit", "Write", "Read", "Glob", "Grep", "Bash", "Report"]
    edit = specs[0]["function"]["parameters"]
    assert edit["required"] == ["path", "old_string", "new_string"]
    assert "Bash" not in [s["function"]["name"] for s in tool_specs()]  # not offered by default
    assert tuple(s["function"]["name"] for s in tool_specs()) == EDIT_TOOLS
    json.dumps(specs)  # serialisable as sent to a backend


def test_edit_calls_schema_limits_strings_and_pins_path() -> None:
    schema = edit_calls_schema(120, path="app.py", explain=True)
    assert list(schema["properties"]) == ["why", "calls"]
    args = schema["properties"]["calls"]["items"]["properties"]["arguments"]["properties"]
    assert args["old_string"]["maxLength"] == 120 and args["new_string"]["maxLength"] == 120
    assert args["path"] == {"type": "string", "enum": ["app.py"]}
    reply = {"why": "sign", "calls": [{"name": "Edit", "arguments": {"path": "app.py", "old_string": "a - b",
                                                                     "new_string": "a + b"}}]}
    assert check_schema(schema, reply, "reply") is None
    bad = {"why": "x", "calls": [{"name": "Edit", "arguments": {"path": "other.py", "old_string": "a",
                                                                "new_string": "b"}}]}
    assert "must be one of app.py" in (check_schema(schema, bad, "reply") or "")
    assert parse_tool_calls(json.dumps(reply)) == [ToolCall("Edit", reply["calls"][0]["arguments"])]
    assert response_format(schema, "edits")["json_schema"]["schema"] is schema


def test_report_schema_round_trip_to_findings() -> None:
    schema = report_schema(max_findings=3, max_len=80)
    finding = schema["properties"]["findings"]["items"]
    assert finding["properties"]["message"]["maxLength"] == 80
    assert schema["properties"]["findings"]["maxItems"] == 3
    reply = {"findings": [{"start_line": 2, "end_line": 3, "severity": "error", "message": "off by one"},
                          {"start_line": 40, "end_line": 41, "severity": "hint", "message": "far",
                           "suggestion": "x"}]}
    assert check_schema(schema, reply, "reply") is None
    doc = "\n".join(f"line {i}" for i in range(1, 11))
    # File lines are 1-based in the reply; 40-41 are past the 10-line document and clamp to its last line.
    assert parse_findings(json.dumps(reply), None, doc, limit=5) == [
        Finding(1, 2, "error", "off by one"),
        Finding(9, 9, "hint", "far", "x"),
    ]
    # The same findings sent as a Report tool call read the same.
    call = f'<tool_call>{{"name": "Report", "arguments": {json.dumps(reply)}}}</tool_call>'
    assert parse_findings(call, None, doc, limit=5) == parse_findings(json.dumps(reply), None, doc, limit=5)


def test_review_severity_table_is_one_mapping() -> None:
    doc = "a\nb\n"
    reply = {"findings": [{"start_line": 1, "severity": s, "message": s} for s in
                          ("bug", "critical", "medium", "low", "style", "whatever")]}
    got = [f.severity for f in parse_findings(json.dumps(reply), None, doc, limit=10) or []]
    assert got == ["error", "error", "warning", "info", "hint", "warning"]


def test_extraction_prompt_has_stable_prefix_and_no_gutter() -> None:
    code = "def add(a, b):\n    return a - b\n"
    one = extraction_messages("app.py", code, "Use + instead of -.", fence="python")
    two = extraction_messages("app.py", code, "Rename b to c.", fence="python")
    assert one[0] == two[0] and one[0]["role"] == "system"
    assert one[1]["content"].startswith(two[1]["content"].split("Proposed change")[0])
    assert "    return a - b" in one[1]["content"]
    assert not re.search(r"^\s*\d+\s*[|:]", one[1]["content"], re.M)
    assert "<tool_call>" in one[0]["content"] and "Edit:" in one[0]["content"]
    assert len(one[0]["content"]) < 800  # short enough for a 0.5B model's attention


def test_retry_messages_continue_the_conversation() -> None:
    base = extraction_messages("app.py", "x = 1\n", "set x to 2")
    ex = Extraction(rejected=[(ToolCall("Edit", {}), "Edit is missing 'path'")])
    msgs = retry_messages(base, "<tool_call>{}</tool_call>", ex)
    assert msgs[: len(base)] == base
    assert msgs[-2] == {"role": "assistant", "content": "<tool_call>{}</tool_call>"}
    assert "Edit is missing 'path'" in msgs[-1]["content"]


def test_number_lines_for_review_only() -> None:
    assert number_lines("a\nb", start=9) == " 9| a\n10| b"
