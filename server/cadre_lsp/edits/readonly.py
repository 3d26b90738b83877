"""Answers to the read-only tools (Read, Glob, Grep), confined to the workspace and bounded in size.

The answers go back into a small model's context, so they are capped (`limit_chars`) and say when
they were cut. Nothing outside the root is read, symbolic links are not followed out of it, and
protected paths, version-control and dependency folders, and binary files are skipped. Read shows
plain text without line numbers, because a model copies what it reads into `old_string`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..toolcalls.call_checks import validate_call
from ..toolcalls.types import ToolCall
from .errors import EditError
from .paths import DEFAULT_PROTECTED, protected_match, resolve_path

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cadre-cache", ".hypothesis"})
MAX_FILES = 20_000
"""Files looked at per Glob/Grep, so a huge workspace cannot stall a job."""
MAX_FILE_BYTES = 1_000_000
MAX_LINE_CHARS = 400


def answer_readonly(root: str | os.PathLike[str], call: ToolCall, protected: Iterable[str] = DEFAULT_PROTECTED,
                    limit_chars: int = 8000) -> str:
    """The text answer to a Read, Glob or Grep call, at most about `limit_chars` long.

    Raises EditError (PathRefused for paths outside the root or protected) when there is no answer:
    a missing file, a binary file, a bad regular expression, another tool.
    """
    reason = validate_call(call)
    if reason:
        raise EditError(reason)
    protected = tuple(protected)
    args = call.arguments
    if call.name == "Read":
        return _read(root, args["path"], protected, limit_chars, args.get("offset"), args.get("limit"))
    if call.name == "Glob":
        return _glob(root, args["pattern"], args.get("path") or ".", protected, limit_chars)
    if call.name == "Grep":
        return _grep(root, args["pattern"], args.get("path") or ".", args.get("glob"), protected, limit_chars)
    raise EditError(f"{call.name} is not a read-only tool")


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a glob over posix paths: `**` spans folders, `*` and `?` stay inside one."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                i = end + 1
        elif c == "{":
            end = pattern.find("}", i + 1)
            if end < 0:
                out.append(re.escape(c))
                i += 1
            else:
                out.append("(?:" + "|".join(re.escape(x) for x in pattern[i + 1 : end].split(",")) + ")")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z", re.S)


def _read(root: str | os.PathLike[str], path: str, protected: tuple[str, ...], limit: int,
          offset: int | None, count: int | None) -> str:
    target = resolve_path(root, path, protected)
    if target.is_dir():
        raise EditError(f"{path} is a directory (use Glob to list it)")
    if not target.is_file():
        raise EditError(f"{path} does not exist")
    text = _text_of(target)
    if text is None:
        raise EditError(f"{path} is not a text file")
    if offset or count:
        lines = text.splitlines(keepends=True)
        first = (offset or 1) - 1
        text = "".join(lines[first : first + count if count else None])
    return _cap(text, limit)


def _glob(root: str | os.PathLike[str], pattern: str, path: str, protected: tuple[str, ...], limit: int) -> str:
    pattern = pattern.strip().removeprefix("./")
    if pattern.startswith(("/", "~")) or ".." in pattern.split("/"):
        raise EditError(f"glob {pattern!r} must stay inside the workspace (relative, without '..')")
    base = resolve_path(root, path, protected)
    if not base.is_dir():
        raise EditError(f"{path} is not a directory")
    rx = glob_to_regex(pattern)
    anywhere = "/" not in pattern  # "*.py" matches at any depth, like .gitignore
    hits = []
    for rel_root, rel in _walk(root, base, protected):
        name = rel.rsplit("/", 1)[-1]
        if rx.match(rel) or (anywhere and rx.match(name)):
            hits.append(rel_root)
    if not hits:
        return f"no files match {pattern}"
    return _cap("\n".join(sorted(hits)), limit, unit="paths")


def _grep(root: str | os.PathLike[str], pattern: str, path: str, glob: str | None, protected: tuple[str, ...],
          limit: int) -> str:
    try:
        rx = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise EditError(f"invalid regular expression {pattern!r}: {exc}") from None
    base = resolve_path(root, path, protected)
    grx = glob_to_regex(glob) if glob else None
    files: Iterable[tuple[str, str]]
    if base.is_file():
        root_real = Path(os.path.abspath(root)).resolve()
        files = [(base.relative_to(root_real).as_posix(), base.name)]
    elif base.is_dir():
        files = _walk(root, base, protected)
    else:
        raise EditError(f"{path} does not exist")
    out: list[str] = []
    size = 0
    root_real = Path(os.path.abspath(root)).resolve()
    for rel_root, rel in files:
        if grx and not (grx.match(rel) or grx.match(rel.rsplit("/", 1)[-1])):
            continue
        text = _text_of(root_real / rel_root)
        if text is None:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if rx.search(line[:10_000]):
                entry = f"{rel_root}:{n}: {line.strip()[:MAX_LINE_CHARS]}"
                size += len(entry) + 1
                if size > limit:
                    out.append("[more matches left out; narrow the pattern or the path]")
                    return "\n".join(out)
                out.append(entry)
    return "\n".join(out) if out else f"no matches for {pattern}"


def _walk(root: str | os.PathLike[str], base: Path, protected: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(path relative to root, path relative to base) of regular files under base, symlinks not followed."""
    root_real = Path(os.path.abspath(root)).resolve()
    seen = 0
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        d = Path(dirpath)
        rel_dir = d.relative_to(root_real).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(n for n in dirnames if n not in SKIP_DIRS
                             and protected_match(rel_dir + n + "/", protected) is None)
        for name in sorted(filenames):
            rel_root = rel_dir + name
            full = d / name
            if full.is_symlink() or protected_match(rel_root, protected) is not None:
                continue
            seen += 1
            if seen > MAX_FILES:
                return
            yield rel_root, full.relative_to(base).as_posix()


def _text_of(path: Path) -> str | None:
    """File text, or None for binaries and oversized files."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _cap(text: str, limit: int, unit: str = "characters") -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    cut = cut + 1 if cut > limit // 2 else limit
    rest = text[cut:]
    left = rest.count("\n") + 1 if unit == "paths" else len(rest)
    return text[:cut] + f"\n[truncated: {left} more {unit}]"
