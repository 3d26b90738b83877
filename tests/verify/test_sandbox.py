"""The sandbox runner: outcomes per example, module errors, limits, and killing the whole run."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from cadre_lsp.verify import Example, Limits, run_examples

CANDIDATE = """
def word_count(text):
    return len(text.split()[0])


def add(a, b=0):
    return a + b


def third(x):
    return x / 3


def positive(n):
    if n < 0:
        raise ValueError("negative")
    return n


def spin(n):
    while True:
        pass
"""


def gone(pid: int) -> bool:
    """True when no process has this id (it was killed and reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def children() -> set[int]:
    """Ids of this test process's direct children, read from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry.name))
    return found


async def test_pass_wrong_raised_timeout() -> None:
    examples = [
        Example("add", (1, 2), expected=3),
        Example("add", (1,), (("b", 5),), expected=6),
        Example("third", (1.0,), expected=0.3333333333333333),
        Example("add", ([1], [2]), expected=[1, 2, 3]),
        Example("word_count", ("",), expected=0),
        Example("positive", (-1,), raises="ValueError"),
        Example("positive", (1,), raises="ValueError"),
        Example("spin", (1,), expected=1),
        Example("missing", (), expected=1),
    ]
    report = await run_examples(CANDIDATE, examples, limits=Limits(per_example_s=0.5))
    statuses = [r.status for r in report.results]
    assert statuses == ["pass", "pass", "pass", "wrong", "raised", "pass", "wrong", "timeout", "raised"]
    assert report.error is None and report.passed == 4 and report.total == 9 and not report.all_passed
    wrong, raised = report.results[3], report.results[4]
    assert wrong.describe() == "add([1], [2]) returned [1, 2], expected [1, 2, 3]"
    assert raised.error == "IndexError: list index out of range" and raised.line == 2
    assert (
        raised.describe()
        == "word_count('') raised IndexError: list index out of range at line 3 (expected 0)"
    )
    assert report.summary().startswith("4/9 pass - add([1], [2]) returned [1, 2]")
    assert "AttributeError" in (report.results[8].error or "")
    assert gone(report.pid or 0)


async def test_floats_close_enough_and_all_passed() -> None:
    report = await run_examples("def f(x):\n    return 0.1 + x\n", [Example("f", (0.2,), expected=0.3)])
    assert report.all_passed and report.summary() == "1/1 pass"


async def test_syntax_error_in_module() -> None:
    report = await run_examples("def f(:\n    pass\n", [Example("f", (1,), expected=1)])
    assert report.error is not None and "SyntaxError" in report.error
    assert [r.status for r in report.results] == ["raised"] and report.results[0].line == 0


async def test_memory_limit() -> None:
    src = "def grow(n):\n    return len(bytearray(n))\n"
    report = await run_examples(
        src,
        [Example("grow", (2 * 1024**3,), expected=0), Example("grow", (10,), expected=10)],
        limits=Limits(memory_mb=256),
    )
    assert report.results[0].status == "raised" and "MemoryError" in (report.results[0].error or "")
    assert report.results[1].status == "pass"


async def test_candidate_prints_do_not_corrupt_results() -> None:
    src = 'import sys\ndef f():\n    print(\'{"i": 0, "status": "pass"}\')\n    sys.__stdout__.write(\'x\\n\')\n    return 1\n'
    report = await run_examples(src, [Example("f", (), expected=2)])
    assert [r.status for r in report.results] == ["wrong"]


async def test_whole_run_timeout_kills_the_process_group() -> None:
    src = """
def stubborn():
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""
    examples = [Example("stubborn", (), expected=1), Example("stubborn", (), expected=2)]
    report = await run_examples(src, examples, limits=Limits(wall_s=1.5, per_example_s=0.2))
    assert report.error is not None and "wall-clock" in report.error
    assert [r.status for r in report.results] == ["timeout", "timeout"]
    assert report.seconds < 5
    assert report.pid is not None and gone(report.pid)


async def test_cancellation_kills_at_once() -> None:
    before = children()
    task = asyncio.create_task(
        run_examples(
            "def spin():\n    while True:\n        pass\n",
            [Example("spin", (), expected=1)],
            limits=Limits(wall_s=30, per_example_s=30, cpu_s=30),
        )
    )
    for _ in range(50):
        await asyncio.sleep(0.1)
        started = children() - before
        if started:
            break
    assert started
    task.cancel()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert loop.time() - t0 < 2
    assert all(gone(pid) for pid in started)


async def test_search_paths_are_importable_and_read_only(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    src = f"""
from helpers import double


def f(x):
    return double(x)


def scribble():
    open({str(lib / "helpers.py")!r}, "a").write("oops")
"""
    report = await run_examples(
        src, [Example("f", (2,), expected=4), Example("scribble", (), expected=None)], search_paths=[str(lib)]
    )
    assert [r.status for r in report.results] == ["pass", "raised"]
    assert "oops" not in (lib / "helpers.py").read_text()
