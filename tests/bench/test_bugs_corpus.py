"""The fix-rate corpus (bench/bugs/): every bug is caught, every reference fix is right, and the `hard_*`
bugs contradict their own docstrings.

tests/bench/test_bench_smoke.py already runs each check() in-process for the whole set; here each file is
judged on its own (one parametrized case per file) and, like bench/fix_rate.py, buggy or fixed code only
ever runs in a fresh interpreter. Docstrings are read with `ast` and `doctest`'s parser, never imported.

A `hard_*` docstring states its examples in one of the styles real code uses: doctests, inline equalities
(`f(x) == y`), arrows ("e.g. f(x) -> y"), or words only. The fixed function must satisfy every stated
example (and `python -m doctest` on the fixed file must pass); the buggy one must fail at least one of them
but not all, so that execution-based verification has something to catch and something to keep.
"""

from __future__ import annotations

import ast
import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUGS = REPO / "bench" / "bugs"
FIXES: dict[str, list[str]] = json.loads((BUGS / "fixes.json").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in BUGS.glob("*.py"))
HARD = [n for n in FILES if n.startswith("hard_")]

_EVAL = r"""
import ast, json, runpy, sys
ns = runpy.run_path(sys.argv[1])
out = []
for call, expected in json.loads(sys.argv[2]):
    try:
        value, want = eval(call, ns), ast.literal_eval(expected)
        out.append(type(value) is type(want) and value == want)
    except Exception:
        out.append(False)
print(json.dumps(out))
"""


@pytest.fixture(autouse=True)
def _repo_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO))


def _fixed(name: str, tmp_path: Path) -> Path:
    buggy, fixed = FIXES[name]
    src = (BUGS / name).read_text(encoding="utf-8")
    assert src.count(buggy) == 1, f"{name}: the buggy substring must occur exactly once"
    out = tmp_path / name
    out.write_text(src.replace(buggy, fixed), encoding="utf-8")
    return out


def _function(name: str) -> ast.FunctionDef:
    """The file's one function under test (everything but `check`)."""
    tree = ast.parse((BUGS / name).read_text(encoding="utf-8"))
    [fn] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != "check"]
    return fn


def _scan(text: str, i: int) -> int:
    """End (exclusive) of the bracketed group or string literal starting at text[i]."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    quote = ""
    j = i
    while j < len(text):
        ch = text[j]
        if quote:
            if ch == "\\":
                j += 1
            elif ch == quote:
                quote = ""
                if not stack:
                    return j + 1
        elif ch in "'\"":
            quote = ch
        elif ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return j + 1
        j += 1
    raise ValueError(f"unbalanced: {text[i:i + 60]!r}")


def _literal_at(text: str, i: int) -> str:
    if text[i] in "'\"([{":
        return text[i:_scan(text, i)]
    m = re.match(r"-?[\w.]*\w", text[i:])
    if m is None:
        raise ValueError(f"no literal at {text[i:i + 30]!r}")
    return m.group()


def stated_examples(name: str) -> dict[str, list[tuple[str, str]]]:
    """(call, expected literal) pairs stated in the docstring, by style: doctest, equality, arrow."""
    fn = _function(name)
    doc = ast.get_docstring(fn) or ""
    parsed = doctest.DocTestParser().parse(doc)
    found: dict[str, list[tuple[str, str]]] = {"doctest": [], "equality": [], "arrow": []}
    for part in parsed:
        if isinstance(part, doctest.Example):
            found["doctest"].append((part.source.strip(), part.want.strip()))
    prose = "".join(p for p in parsed if isinstance(p, str))
    for m in re.finditer(rf"\b{re.escape(fn.name)}\(", prose):
        end = _scan(prose, m.end() - 1)
        op = re.match(r"\s*(==|->)\s*", prose[end:])
        if op is None:
            continue
        expected = _literal_at(prose, end + op.end())
        ast.literal_eval(expected)  # a stated example's expected value is a plain literal
        found["equality" if op.group(1) == "==" else "arrow"].append((prose[m.start():end], expected))
    return found


def _outcomes(path: Path, examples: list[tuple[str, str]]) -> list[bool]:
    proc = subprocess.run([sys.executable, "-c", _EVAL, str(path), json.dumps(examples)], capture_output=True,
                          text=True, timeout=30, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", FILES)
def test_bug_fails_its_check_and_the_reference_fix_passes(name: str, tmp_path: Path) -> None:
    from bench.fix_rate import passes_check

    buggy = tmp_path / "buggy" / name
    buggy.parent.mkdir()
    buggy.write_text((BUGS / name).read_text(encoding="utf-8"), encoding="utf-8")
    assert not passes_check(buggy), f"{name}: the buggy original passes its own check()"
    assert passes_check(_fixed(name, tmp_path)), f"{name}: the reference fix fails check()"


@pytest.mark.parametrize("name", HARD)
def test_hard_bug_contradicts_its_docstring_and_the_fix_does_not(name: str, tmp_path: Path) -> None:
    fn = _function(name)
    body = fn.body[1:]  # after the docstring
    assert body[-1].end_lineno - body[0].lineno + 1 <= 20, f"{name}: a body of at most 20 lines"
    found = stated_examples(name)
    examples = [e for style in found.values() for e in style]
    fixed = _fixed(name, tmp_path)
    if found["doctest"]:
        proc = subprocess.run([sys.executable, "-m", "doctest", str(fixed)], capture_output=True, text=True,
                              timeout=30, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    if not examples:
        return  # a words-only docstring: its stated edge case is asserted by check() (test above)
    assert all(_outcomes(fixed, examples)), f"{name}: the reference fix breaks a stated example"
    buggy = _outcomes(BUGS / name, examples)
    assert not all(buggy), f"{name}: the bug passes every stated example {examples}"
    assert any(buggy), f"{name}: the bug fails every stated example (nothing for a fix to keep)"


def test_hard_docstrings_mix_the_example_styles() -> None:
    assert len(HARD) >= 16
    styles = {name: [s for s, ex in stated_examples(name).items() if ex] for name in HARD}
    for style in ("doctest", "equality", "arrow"):
        assert sum(style in s for s in styles.values()) >= 3, (style, styles)
    words_only = [name for name, s in styles.items() if not s]
    assert 3 <= len(words_only) <= 6, words_only


def test_example_extraction() -> None:
    found = stated_examples("hard_top_n.py")
    assert found["arrow"] == [('top_n({"cid": 3, "bob": 5, "ann": 3}, 2)', '["bob", "ann"]'),
                              ('top_n({"x": 1}, 5)', '["x"]')]
    assert stated_examples("hard_page_count.py")["equality"][2] == ("page_count(0, 10)", "0")
    assert stated_examples("hard_rle.py")["doctest"][1] == ('rle("")', "[]")
    assert stated_examples("hard_dedupe.py") == {"doctest": [], "equality": [], "arrow": []}


def test_fix_rate_metrics_split_the_halves_and_judge_the_comparisons() -> None:
    from bench.fix_rate import _metrics

    bugs = ["a.py", "b.py", "hard_x.py", "hard_y.py"]

    def rows(fixed: list[bool], seconds: float) -> list[dict[str, object]]:
        return [{"bug": b, "fixed": f, "seconds": seconds} for b, f in zip(bugs, fixed)]

    details = {"primary": rows([True, False, False, False], 10.0),
               "validated": rows([True, True, True, False], 15.0),
               "compete": rows([True, True, False, False], 30.0)}
    m = {x.id: x for x in _metrics(details, bugs)}
    assert (m["fixrate_primary"].value, m["fixrate_validated"].value, m["fixrate_compete"].value) == (25, 75, 50)
    assert m["fixrate_validated"].passed is True and m["fixrate_compete"].passed is False
    assert (m["fixrate_primary_easy"].value, m["fixrate_primary_hard"].value) == (50, 0)
    assert m["fixrate_primary_easy"].passed is None  # primary's own rows are reported, not judged
    assert (m["fixrate_validated_hard"].target, m["fixrate_validated_hard"].passed) == (10, True)
    assert (m["fixrate_validated_easy"].target, m["fixrate_validated_easy"].passed) == (50, True)
    assert (m["sfix_validated"].value, m["sfix_validated"].target, m["sfix_validated"].passed) == (15, 20, True)
    assert m["sfix_compete"].passed is None
    only = {x.id: x for x in _metrics({"validated": details["validated"]}, bugs)}
    assert "fixrate_primary" not in only and only["fixrate_validated"].passed is None
