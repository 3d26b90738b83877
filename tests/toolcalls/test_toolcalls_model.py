"""Edit formats on the real embedded models: rewrite gives a correct applicable edit; tool calls under a
JSON schema come back schema-valid (whether or not a 0.5B model quotes the right text)."""

from __future__ import annotations

import json

import pytest

from cadre_lsp.config.schema import EndpointConfig
from cadre_lsp.core import Span
from cadre_lsp.edits import apply_edit_calls
from cadre_lsp.models.embedded import EmbeddedBackend
from cadre_lsp.toolcalls import (
    edit_calls_schema,
    extract_calls,
    extract_code_block,
    extraction_messages,
    rewrite_messages,
    rewrite_to_edits,
    validate_call,
)

pytestmark = pytest.mark.model

SOURCE = '''def total_price(prices):
    """Return the sum of all prices."""
    total = 0
    for p in prices:
        total -= p
    return total
'''


async def test_rewrite_format_on_the_coding_model_gives_a_correct_edit() -> None:
    backend = EmbeddedBackend("coder", EndpointConfig(kind="embedded", model="qwen2.5-coder-1.5b"))
    try:
        messages = rewrite_messages(SOURCE, "This function has a bug: it does not do what its docstring says.",
                                    language="Python", fence="python")
        reply = await backend.chat(messages, max_tokens=120, temperature=0.0)
    finally:
        await backend.aclose()
    block = extract_code_block(reply.text, "python", like=SOURCE)
    assert block is not None, reply.text
    edit = apply_edit_calls(SOURCE, "shop.py", rewrite_to_edits("shop.py", SOURCE, block), Span.lines(0, 5))
    from cadre_lsp.verify import Example, run_examples

    # the model's edit runs in the sandbox (never in the test process), on one input
    report = await run_examples(edit.apply(), [Example("total_price", ([1, 2, 3.5],), expected=6.5)])
    assert report.all_passed, report.summary()


async def test_tool_calls_under_a_schema_are_schema_valid() -> None:
    backend = EmbeddedBackend("fast", EndpointConfig(kind="embedded", model="qwen2.5-coder-0.5b"))
    try:
        messages = extraction_messages("shop.py", SOURCE, "Change `total -= p` to `total += p`.", fence="python")
        reply = await backend.chat(messages, schema=edit_calls_schema(path="shop.py", min_calls=1),
                                   max_tokens=200, temperature=0.0)
    finally:
        await backend.aclose()
    data = json.loads(reply.text)  # constrained decoding: strict JSON, never prose
    assert isinstance(data["calls"], list) and data["calls"]
    extraction = extract_calls(reply.text)
    assert extraction.rejected == []
    assert extraction.calls and all(c.name == "Edit" and validate_call(c) is None for c in extraction.calls)
    assert all(c.arguments["path"] == "shop.py" for c in extraction.calls)
