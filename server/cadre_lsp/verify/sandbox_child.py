"""The sandbox's child process: limits, an audit hook, then the candidate and its examples.

Run as `python -I sandbox_child.py` by `sandbox.run_examples`, stdlib only. The job arrives as JSON on
stdin; each result leaves as one `<nonce> {json}` line on a private copy of stdout as soon as it is
known, so a run killed half way still says which examples finished. The candidate's own prints go
to /dev/null.

Order matters: everything the bootstrap needs is read and imported first, then resource limits, then
a PEP 578 audit hook that refuses network, new processes, signals to others, writes outside the work
directory and reads outside the work directory, the search paths and the Python installation. Only
then is the candidate imported. The hook is defence in depth inside one interpreter, not a security
boundary against native code; the parent adds `unshare -n`/bwrap when they are available.
"""

from __future__ import annotations

import ast
import json
import math
import os
import resource
import signal
import sys
import traceback
from typing import Any

_DENY_PREFIXES = (
    "socket.",
    "subprocess.",
    "os.exec",
    "os.spawn",
    "os.posix_spawn",
    "os.fork",
    "os.forkpty",
    "os.system",
    "os.kill",
    "os.killpg",
    "os.startfile",
    "signal.pthread_kill",
    "ctypes.",
    "_ctypes.",
    "resource.setrlimit",
    "resource.prlimit",
    "sys.addaudithook",
    "http.client.",
    "urllib.",
    "ftplib.",
    "smtplib.",
    "poplib.",
    "imaplib.",
    "nntplib.",
    "telnetlib.",
    "webbrowser.",
    "pty.",
    "os.setuid",
    "os.setgid",
    "os.chroot",
    "winreg.",
    "_winapi.",
    "msvcrt.",
)
_NO_FRESH_IMPORT = frozenset({"_posixsubprocess", "_ctypes", "_testcapi", "_xxsubinterpreters"})
_WRITE_ARGS = {  # event -> argument positions that must be paths inside the work directory
    "os.remove": (0,),
    "os.unlink": (0,),
    "os.rmdir": (0,),
    "os.rename": (0, 1),
    "os.replace": (0, 1),
    "os.mkdir": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.lchown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.chflags": (0,),
    "os.lchflags": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
    "os.link": (1,),
    "os.symlink": (1,),
    "os.mkfifo": (0,),
    "os.mknod": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
    "shutil.copytree": (1,),
    "shutil.chown": (0,),
    "shutil.make_archive": (0,),
    "shutil.unpack_archive": (1,),
    "os.chdir": (0,),
}
_READ_ARGS = {  # event -> argument positions that must be readable paths
    "os.listdir": (0,),
    "os.scandir": (0,),
    "os.link": (0,),
    "os.symlink": (0,),
    "os.getxattr": (0,),
    "os.listxattr": (0,),
    "shutil.copyfile": (0,),
    "shutil.copytree": (0,),
    "glob.glob": (0,),
    "shutil.unpack_archive": (0,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class ExampleTimeout(BaseException):
    """Raised by SIGALRM; a BaseException so `except Exception` in the candidate does not swallow it."""


def main() -> None:
    job = json.loads(sys.stdin.read())
    out_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")
    nonce: str = job["nonce"]

    def emit(record: dict[str, Any]) -> None:
        os.write(out_fd, (nonce + " " + json.dumps(record) + "\n").encode())

    workdir = os.path.realpath(job["workdir"])
    os.chdir(workdir)
    _set_limits(job["limits"])
    read_roots = _read_roots(workdir, job["search_paths"], job["home"])
    blocked: list[str] = []
    _disarm_fork_exec(blocked)
    sys.addaudithook(_make_hook(workdir, read_roots, blocked))
    sys.path.insert(0, workdir)
    sys.path.extend(job["search_paths"])
    signal.signal(signal.SIGALRM, _on_alarm)

    module_path = os.path.join(workdir, job["module_name"] + ".py")
    try:
        signal.setitimer(signal.ITIMER_REAL, float(job["limits"]["import_s"]))
        __import__(job["module_name"])
        signal.setitimer(signal.ITIMER_REAL, 0)
        module = sys.modules[job["module_name"]]
    except BaseException as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        emit({"import_error": _error_text(exc, blocked), "line": _module_line(exc, module_path)})
        os._exit(0)
    for index, example in enumerate(job["examples"]):
        del blocked[:]
        record = _run_one(module, example, float(job["limits"]["per_example_s"]), module_path, blocked)
        record["i"] = index
        emit(record)
    emit({"done": True})
    os._exit(0)


def _set_limits(limits: dict[str, Any]) -> None:
    """Soft and hard limits alike, so the candidate cannot raise them back (the hook also refuses)."""
    mb = 1024 * 1024
    wanted = [
        (resource.RLIMIT_CPU, int(limits["cpu_s"]), int(limits["cpu_s"]) + 1),
        (resource.RLIMIT_AS, int(limits["memory_mb"]) * mb, int(limits["memory_mb"]) * mb),
        (resource.RLIMIT_FSIZE, int(limits["file_mb"]) * mb, int(limits["file_mb"]) * mb),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, 0, 0),  # ignored for root; the audit hook refuses fork/exec anyway
    ]
    for which, soft, hard in wanted:
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass


def _read_roots(workdir: str, search_paths: list[str], home: str) -> tuple[str, ...]:
    """Where reading is allowed: the work dir, search paths, and the interpreter's own sys.path.

    An entry that holds the user's home directory (or is `/`) is left out: it would open ~/.ssh.
    """
    roots = {workdir, "/dev/null", "/dev/urandom", "/dev/zero"}
    home = os.path.realpath(home) if home else ""
    for entry in [*sys.path, *search_paths]:
        if not entry:
            continue
        real = os.path.realpath(entry)
        if real == "/" or (home and (home + "/").startswith(real.rstrip("/") + "/")):
            continue
        roots.add(real)
    return tuple(sorted(roots))


def _disarm_fork_exec(blocked: list[str]) -> None:
    """`_posixsubprocess.fork_exec` raises no audit event: replace it before anything can bind it.

    The hook then refuses a fresh load of the module (a cached import raises no event).
    """
    import _posixsubprocess

    def refuse(*args: Any) -> None:
        blocked.append("_posixsubprocess.fork_exec")
        raise PermissionError("sandbox blocked _posixsubprocess.fork_exec")

    _posixsubprocess.fork_exec = refuse  # type: ignore[attr-defined]


def _make_hook(workdir: str, read_roots: tuple[str, ...], blocked: list[str]) -> Any:
    """The audit hook; state lives in its closure (defence in depth, not a boundary)."""
    busy = [False]

    def inside(path: Any, roots: tuple[str, ...]) -> bool:
        if isinstance(path, int) or path is None:
            return True  # an already open descriptor, or "the current directory" (the work dir)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, (str, os.PathLike)):
            return False
        real = os.path.realpath(os.path.join(os.getcwd(), os.fspath(path)))
        return any(real == root or real.startswith(root.rstrip("/") + "/") for root in roots)

    def deny(event: str) -> None:
        blocked.append(event)
        raise PermissionError(f"sandbox blocked {event}")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            if event.startswith(_DENY_PREFIXES) or (
                event == "import" and args and args[0] in _NO_FRESH_IMPORT
            ):
                deny(event if event != "import" else f"import {args[0]}")
            if event == "open":
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                writing = (
                    any(c in mode for c in "wax+")
                    if isinstance(mode, str)
                    else bool(isinstance(flags, int) and flags & _WRITE_FLAGS)
                )
                if not inside(path, (workdir,) if writing else read_roots):
                    deny(f"open({path!r}) for {'writing' if writing else 'reading'}")
            for pos in _WRITE_ARGS.get(event, ()):
                if pos < len(args) and not inside(args[pos], (workdir,)):
                    deny(f"{event}({args[pos]!r})")
            for pos in _READ_ARGS.get(event, ()):
                if pos < len(args) and not inside(args[pos], read_roots):
                    deny(f"{event}({args[pos]!r})")
        finally:
            busy[0] = False

    return hook


def _on_alarm(signum: int, frame: Any) -> None:
    raise ExampleTimeout()


def _run_one(
    module: Any, example: dict[str, Any], seconds: float, module_path: str, blocked: list[str]
) -> dict[str, Any]:
    """Call one example under a per-example timer; compare in here so the value never leaves as code."""
    try:
        args = [ast.literal_eval(a) for a in example["args"]]
        kwargs = {k: ast.literal_eval(v) for k, v in example["kwargs"]}
        expected = ast.literal_eval(example["expected"])
    except (ValueError, SyntaxError) as exc:
        return {"status": "raised", "error": f"example does not decode: {exc}"}
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        target: Any = module
        for part in example["function"].split("."):
            target = getattr(target, part)
        value = target(*args, **kwargs)
        if blocked:
            raise PermissionError(f"sandbox blocked {blocked[0]}")
        if example["raises"]:
            return {"status": "wrong", "actual": _short_repr(value)}
        same = _same(value, expected)
        return {"status": "pass" if same else "wrong", "actual": None if same else _short_repr(value)}
    except ExampleTimeout:
        return {"status": "timeout", "error": f"took longer than {seconds:g} s"}
    except BaseException as exc:
        names = {cls.__name__ for cls in type(exc).__mro__}
        if example["raises"] and example["raises"] in names and not blocked:
            return {"status": "pass"}
        return {
            "status": "raised",
            "error": _error_text(exc, blocked),
            "line": _module_line(exc, module_path),
        }
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _same(actual: Any, expected: Any) -> bool:
    """`==`, with floats also equal when math.isclose(rel_tol=1e-9), inside lists, tuples and dicts."""
    if isinstance(actual, float) and isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return actual == expected or math.isclose(actual, expected, rel_tol=1e-9)
    if type(actual) in (list, tuple) and type(actual) is type(expected) and len(actual) == len(expected):
        return all(_same(a, e) for a, e in zip(actual, expected))
    if type(actual) is dict and type(expected) is dict and actual.keys() == expected.keys():
        return all(_same(actual[k], expected[k]) for k in actual)
    return bool(actual == expected)


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except BaseException as exc:
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= 200 else text[:197] + "..."


def _error_text(exc: BaseException, blocked: list[str]) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if blocked and "sandbox blocked" not in text:
        text += f" (sandbox blocked {blocked[0]})"
    return text[:300]


def _module_line(exc: BaseException, module_path: str) -> int | None:
    """0-based line of the deepest frame in the candidate module, if the exception passed through it."""
    if isinstance(exc, SyntaxError) and exc.lineno and os.path.realpath(exc.filename or "") == module_path:
        return exc.lineno - 1
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(frame.filename) == module_path and frame.lineno:
            line = frame.lineno - 1
    return line


if __name__ == "__main__":
    main()
