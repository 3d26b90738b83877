"""Run a candidate module against examples in a separate, limited process.

The candidate is copied into a fresh temporary directory (the user's files are never touched) and
imported by `sandbox_child.py` under `python -I` with a scrubbed environment, its own process group,
resource limits and an audit hook (see that module). `unshare -n` (no network namespace) or bwrap is
added when present and working. The parent enforces the wall-clock limit: on timeout or cancellation
the whole process group is killed at once and reaped, and examples that had not finished are
reported as "timeout". Values cross the pipe as reprs and are compared inside the child.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .evidence import Example

CHILD = str(Path(__file__).with_name("sandbox_child.py"))
MAX_OUTPUT = 1024 * 1024  # bytes read from the child's result channel
MAX_STDERR = 16 * 1024
_isolation: list[str] | None = None  # probed once per process: the command prefix that adds isolation


@dataclass
class Limits:
    """What one run may use; every limit is enforced even when isolation tools are missing."""

    wall_s: float = 10.0
    per_example_s: float = 2.0
    cpu_s: int = 10
    memory_mb: int = 512
    file_mb: int = 8


@dataclass
class ExampleResult:
    """How one example went: "pass", "wrong" (returned another value), "raised" or "timeout"."""

    example: Example
    status: str
    actual: str | None = None
    error: str | None = None
    line: int | None = None

    def describe(self) -> str:
        """A sentence a model can act on, e.g. `f('') raised IndexError: ... (expected 0)`."""
        ex = self.example
        want = f"expected {ex.raises}" if ex.raises else f"expected {ex.expected!r}"
        if self.status == "pass":
            return f"{ex.describe()} (pass)"
        if self.status == "wrong":
            return f"{ex.call} returned {self.actual}, {want}"
        if self.status == "timeout":
            return f"{ex.call} timed out ({self.error or 'run killed'}), {want}"
        where = f" at line {self.line + 1}" if self.line is not None else ""
        return f"{ex.call} raised {self.error}{where} ({want})"


@dataclass
class RunReport:
    """Per-example outcomes of one run, plus why the run as a whole failed, if it did."""

    results: list[ExampleResult]
    error: str | None = None
    seconds: float = 0.0
    pid: int | None = None  # the child's process id (gone by the time the report exists)
    isolation: str = "audit hook"
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.status == "pass")

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def failures(self) -> list[ExampleResult]:
        return [r for r in self.results if r.status != "pass"]

    @property
    def all_passed(self) -> bool:
        return self.error is None and bool(self.results) and self.passed == self.total

    def summary(self) -> str:
        """`5/6 pass - word_count('') raised IndexError ...`, naming the first failure or the run error."""
        text = f"{self.passed}/{self.total} pass"
        if self.error:
            return f"{text} - {self.error}"
        if self.failures:
            text += f" - {self.failures[0].describe()}"
            if len(self.failures) > 1:
                text += f" (+{len(self.failures) - 1} more)"
        return text


async def run_examples(
    module_source: str,
    examples: list[Example],
    *,
    limits: Limits = Limits(),  # noqa: B008 - a plain dataclass, never mutated
    module_name: str = "candidate",
    search_paths: Sequence[str] = (),
) -> RunReport:
    """Import `module_source` as `module_name` in a limited child and run each example against it."""
    start = time.monotonic()
    if not module_name.isidentifier():
        raise ValueError(f"module name must be an identifier: {module_name!r}")
    prefix = await _isolation_prefix()
    report = RunReport([], isolation=" ".join(prefix[:2]) if prefix else "audit hook")
    done: dict[int, ExampleResult] = {}
    with tempfile.TemporaryDirectory(prefix="cadre-verify-") as workdir:
        job, env = _prepare(workdir, module_source, module_name, search_paths, limits, examples)
        proc = await asyncio.create_subprocess_exec(
            *prefix,
            sys.executable,
            "-I",
            CHILD,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
        report.pid = proc.pid
        try:
            await asyncio.wait_for(_collect(proc, job, examples, done, report), timeout=limits.wall_s)
        except asyncio.TimeoutError:
            report.error = f"run killed after {limits.wall_s:g} s (wall-clock limit)"
        finally:
            await _kill_and_reap(proc)
        if report.error is None and proc.returncode not in (0, None) and len(done) < len(examples):
            report.error = _death(proc.returncode, limits)
    for index, example in enumerate(examples):
        if index not in done:
            reason = report.error or "the run ended before this example"
            done[index] = ExampleResult(example, "timeout", error=reason)
    report.results = [done[i] for i in range(len(examples))]
    report.seconds = time.monotonic() - start
    return report


def _prepare(
    workdir: str,
    module_source: str,
    module_name: str,
    search_paths: Sequence[str],
    limits: Limits,
    examples: list[Example],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Write the module copy and build the child's job and scrubbed environment."""
    Path(workdir, module_name + ".py").write_text(module_source, encoding="utf-8")
    job = {
        "nonce": secrets.token_hex(8),
        "workdir": workdir,
        "module_name": module_name,
        "search_paths": [os.path.realpath(p) for p in search_paths],
        "home": os.path.expanduser("~"),
        "limits": {**asdict(limits), "import_s": limits.wall_s},
        "examples": [_encode(e) for e in examples],
    }
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": workdir,
        "TMPDIR": workdir,
    }
    return job, env


def _encode(example: Example) -> dict[str, Any]:
    return {
        "function": example.function,
        "args": [repr(a) for a in example.args],
        "kwargs": [[k, repr(v)] for k, v in example.kwargs],
        "expected": repr(example.expected) if not example.raises else "None",
        "raises": example.raises or "",
    }


async def _collect(
    proc: asyncio.subprocess.Process,
    job: dict[str, Any],
    examples: list[Example],
    done: dict[int, ExampleResult],
    report: RunReport,
) -> None:
    """Send the job, then read result lines (at most MAX_OUTPUT bytes) until the child ends."""
    assert proc.stdin and proc.stdout and proc.stderr
    stderr_task = asyncio.ensure_future(_drain(proc.stderr))
    try:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.write(json.dumps(job).encode())
            await proc.stdin.drain()
            proc.stdin.close()
        buffer = b""
        received = 0
        marker = job["nonce"].encode() + b" "
        while True:
            chunk = await proc.stdout.read(65536)
            if not chunk:
                break
            received += len(chunk)
            if received > MAX_OUTPUT:
                report.error = "the child wrote more than 1 MB of results; killed"
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(marker):
                    _record(json.loads(line[len(marker) :]), examples, done, report)
        await proc.wait()
        if len(done) < len(examples) and report.error is None and proc.returncode == 0:
            report.error = "the child exited before reporting every example"
    finally:
        stderr_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            tail = await stderr_task
            if tail and report.error is None and len(done) < len(examples):
                report.notes.append(tail.decode(errors="replace")[-500:])


def _record(
    record: dict[str, Any], examples: list[Example], done: dict[int, ExampleResult], report: RunReport
) -> None:
    """One result line from the child; an import failure fails every example with the same error."""
    if "import_error" in record:
        line = record.get("line")
        where = (
            f" (line {line + 1})" if isinstance(line, int) and "line" not in record["import_error"] else ""
        )
        report.error = f"module failed to import: {record['import_error']}{where}"
        for index, example in enumerate(examples):
            done[index] = ExampleResult(example, "raised", error=record["import_error"], line=line)
        return
    index = record.get("i")
    if isinstance(index, int) and 0 <= index < len(examples):
        done[index] = ExampleResult(
            examples[index],
            str(record.get("status")),
            record.get("actual"),
            record.get("error"),
            record.get("line"),
        )


async def _drain(stream: asyncio.StreamReader) -> bytes:
    """Read a stream to the end so the child never blocks on it, keeping only its first bytes."""
    kept = b""
    while chunk := await stream.read(65536):
        if len(kept) < MAX_STDERR:
            kept += chunk[: MAX_STDERR - len(kept)]
    return kept


async def _kill_and_reap(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the child's whole process group at once, then wait for it (also when cancelled)."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # stragglers left in the group
    with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, ProcessLookupError):
        await asyncio.wait_for(asyncio.shield(proc.wait()), timeout=5)


def _death(returncode: int, limits: Limits) -> str:
    """Why the child died, in words: a negative return code is the signal that killed it."""
    if returncode < 0:
        sig = -returncode
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return f"killed by {name} (cpu limit {limits.cpu_s} s)"
        if sig == signal.SIGXFSZ:
            return f"killed by {name} (file size limit {limits.file_mb} MB)"
        return f"killed by {name}"
    return f"the child exited with status {returncode}"


async def _isolation_prefix() -> list[str]:
    """`unshare -n` (or bwrap) when present and working here, probed once; else nothing (hook only)."""
    global _isolation
    if _isolation is not None:
        return _isolation
    candidates: list[list[str]] = []
    if shutil.which("bwrap"):
        candidates.append(["bwrap", "--unshare-net", "--die-with-parent", "--dev-bind", "/", "/"])
    if shutil.which("unshare"):
        candidates += [["unshare", "-n"], ["unshare", "-rn"]]
    _isolation = []
    for prefix in candidates:
        try:
            probe = await asyncio.create_subprocess_exec(
                *prefix,
                sys.executable,
                "-I",
                "-c",
                "pass",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            if await asyncio.wait_for(probe.wait(), timeout=5) == 0:
                _isolation = prefix
                break
        except (OSError, asyncio.TimeoutError):
            continue
    return _isolation
