"""CodeContext.render: most relevant first, always within the token budget, never crashing."""

from __future__ import annotations

from ctx_helpers import context_at
from ctx_snippets import CPP, GO, PYTHON, RUST
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadre_lsp.context import CHARS_PER_TOKEN, estimate_tokens, extract_context
from cadre_lsp.core import Span


def test_estimate_is_chars_over_three_and_a_half_rounded_up() -> None:
    assert CHARS_PER_TOKEN == 3.5
    assert estimate_tokens("") == 0
    assert estimate_tokens("abc") == 1
    assert estimate_tokens("x" * 35) == 10
    assert estimate_tokens("x" * 36) == 11


def test_render_puts_target_first_then_imports_then_references() -> None:
    out = context_at(GO, "go", "fmt.Sprintf").render()
    target = out.index("func Describe(c *Circle) string {")
    imports = out.index('import "fmt"')
    circle = out.index("type Circle struct {")
    area = out.index("func (c *Circle) Area() float64 {")
    assert target < imports < circle < area
    assert out.startswith("Code to work on: function `Describe` (lines 19-21):\n```go\n")
    assert "lines 10-12" in out  # where the referenced struct is


def test_render_shows_indented_target_as_in_the_file() -> None:
    out = context_at(PYTHON, "python", "helper(v)").render()
    assert "```python\n        def deep(self, v):\n            return helper(v) + LIMIT\n```" in out
    assert "It is inside class `Inner`" in out


def test_render_without_target_keeps_the_rest() -> None:
    ctx = context_at(GO, "go", "fmt.Sprintf")
    out = ctx.render(include_target=False)
    assert "func Describe" not in out
    assert 'import "fmt"' in out and "type Circle struct" in out


def test_small_budget_cuts_target_around_the_span_and_drops_the_rest() -> None:
    body = "\n".join(f"    v{i} = {i}" for i in range(200))
    text = f"import os\n\ndef big():\n{body}\n    return os.sep\n"
    ctx = context_at(text, "python", "v150 = 150")
    out = ctx.render(60)
    assert estimate_tokens(out) <= 60
    assert "v150 = 150" in out
    assert "# ..." in out
    assert "def big():" in out  # the signature line is kept when it fits


def test_big_references_are_summarised_by_signature_and_docstring() -> None:
    helper_body = "\n".join(f"    y = y + {i}" for i in range(300))
    text = f'def helper(y):\n    """Sum many things.\n\n    Details."""\n{helper_body}\n    return y\n\n\ndef caller():\n    return helper(1)\n'
    out = context_at(text, "python", "return helper(1)").render(400)
    assert "def helper(y):" in out
    assert "# Sum many things." in out
    assert "y = y + 299" not in out
    assert "lines)" in out


def test_rust_and_cpp_contexts_render_within_default_budget() -> None:
    for text, language, needle in [(RUST, "rust", "entry("), (CPP, "cpp", '"square"')]:
        ctx = context_at(text, language, needle)
        out = ctx.render()
        assert estimate_tokens(out) <= ctx.budget_tokens
        assert ctx.target.text in out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    budget=st.integers(min_value=-5, max_value=700),
    line=st.integers(min_value=-3, max_value=60),
    width=st.integers(min_value=0, max_value=12),
    source=st.sampled_from([(PYTHON, "python"), (GO, "go"), (RUST, "rust"), (CPP, "cpp")]),
    include_target=st.booleans(),
)
def test_render_never_exceeds_the_budget(budget, line, width, source, include_target) -> None:
    text, language = source
    ctx = extract_context(text, language, Span(line, 2, line + width, 0), budget_tokens=budget)
    out = ctx.render(include_target=include_target)
    assert estimate_tokens(out) <= max(budget, 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=400),
    language=st.sampled_from([None, "python", "javascript", "c", "lua", "klingon"]),
    a=st.tuples(st.integers(-5, 40), st.integers(-5, 80)),
    b=st.tuples(st.integers(-5, 40), st.integers(-5, 80)),
    budget=st.integers(min_value=0, max_value=300),
)
def test_random_text_and_spans_never_crash(text, language, a, b, budget) -> None:
    ctx = extract_context(text, language, Span(a[0], a[1], b[0], b[1]), budget_tokens=budget)
    out = ctx.render()
    assert estimate_tokens(out) <= budget
    if ctx.target is not None:
        assert text[ctx.target.start_offset : ctx.target.end_offset] == ctx.target.text
