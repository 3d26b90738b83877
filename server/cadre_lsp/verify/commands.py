"""The user's own test command, run on a copy of the workspace with a candidate applied.

The command comes from the user's configuration (`[verify] tests_command`), never from a model. It runs
in a temporary copy (the user's files are never touched), in its own process group with CPU, memory
and file-size limits, a scrubbed environment, no network where `unshare -n` works, and is killed with
its whole group on timeout or cancellation. It is not the audit-hooked child of sandbox.py: the
user's test runner must be free to import and spawn what it needs inside the copy.
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .sandbox import _isolation_prefix

SKIP = (".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache",
        ".ruff_cache", ".tox", "*.gguf", "build", "dist")
MAX_COPY_MB = 64


@dataclass
class CommandReport:
    """How the command went on one copy: `passed` is exit status 0 within the limits."""

    passed: bool
    returncode: int | None
    tail: str
    error: str | None = None
    seconds: float = 0.0

    def signature(self) -> tuple[int | None, str]:
        """What identifies a failure, to tell "the tests fail anyway" from "this change broke them": the
        output with timings taken out (an assertion's values differ when the change changed the result)."""
        return self.returncode, re.sub(r"\d+(?:\.\d+)?\s*s(?:econds)?\b", "", self.tail).strip()

    def describe(self) -> str:
        if self.error:
            return f"your tests could not run: {self.error}"
        if self.passed:
            return "your tests pass"
        last = self.tail.strip().splitlines()[-3:]
        return f"your tests fail (exit {self.returncode}): " + " | ".join(s.strip() for s in last)


def _size_mb(root: Path) -> float:
    total = 0
    ignore = shutil.ignore_patterns(*SKIP)
    for d, dirs, files in os.walk(root):
        skipped = ignore(d, dirs + files)
        dirs[:] = [x for x in dirs if x not in skipped]
        total += sum((Path(d) / f).lstat().st_size for f in files if f not in skipped)
    return total / 1e6


async def run_tests_on_copy(root: str, rel_path: str, new_text: str, argv: list[str], *, timeout_s: float = 120.0,
                            memory_mb: int = 2048, cpu_s: int = 120) -> CommandReport:
    """Copy `root`, write `new_text` to `rel_path` in the copy, run `argv` there; never raises for the
    command's own failures (they are the report)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cadre-tests-") as tmp:
        copy = Path(tmp) / "ws"
        problem = await asyncio.to_thread(_copy_with, Path(root), copy, rel_path, new_text)
        if problem:
            return CommandReport(False, None, "", problem)
        env = {"PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp,
               "LANG": os.environ.get("LANG", "C.UTF-8"), "PYTHONDONTWRITEBYTECODE": "1"}

        def limits() -> None:  # in the child, before exec
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
            resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        args = [a.replace("{file}", rel_path) for a in argv]
        try:
            proc = await asyncio.create_subprocess_exec(
                *await _isolation_prefix(), *args, cwd=copy, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
                preexec_fn=limits)
        except OSError as exc:
            return CommandReport(False, None, "", f"{args[0]}: {exc.strerror or exc}")
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
        except asyncio.TimeoutError:
            _kill(proc)
            await proc.wait()
            return CommandReport(False, None, "", f"timed out after {timeout_s:g} s", time.monotonic() - start)
        except asyncio.CancelledError:
            _kill(proc)
            raise
    tail = "\n".join(out.decode("utf-8", "replace").splitlines()[-15:])
    return CommandReport(proc.returncode == 0, proc.returncode, tail, None, time.monotonic() - start)


def _copy_with(src: Path, copy: Path, rel_path: str, new_text: str) -> str | None:
    """Copy the workspace (minus caches, environments and VCS data) and put the candidate in it."""
    if _size_mb(src) > MAX_COPY_MB:
        return f"the workspace is over {MAX_COPY_MB} MB to copy"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns(*SKIP), symlinks=True)
    target = copy / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as f:
        f.write(new_text)
    return None


def _kill(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
