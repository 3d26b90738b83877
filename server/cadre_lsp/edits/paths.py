"""Where a model may read and write: inside the workspace root, off protected paths, in scope.

Paths come from model output, which can carry a prompt injection ("also fix ~/.bashrc" in a comment),
so every target is checked lexically (`..`, absolute, `~`) and again after resolving symlinks. A
protected pattern ending in `/` names a directory; a pattern without `/` matches a path component at
any depth (`.env` refuses `sub/.env`); one with a `/` inside is anchored at the root. Protected
patterns compare case-insensitively, since the user's file system may not tell `.GIT` from `.git`.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path

from .errors import PathRefused, ScopeError

_URI = re.compile(r"^file:", re.IGNORECASE)
_DRIVE = re.compile(r"^[a-zA-Z]:[/\\]")

DEFAULT_PROTECTED: tuple[str, ...] = (".git/", ".hg/", ".svn/", ".env", ".env.*", ".ssh/", "*.pem", "*.key",
                                      ".cadre.toml")


def resolve_path(root: str | os.PathLike[str], path: str, protected: Iterable[str] = DEFAULT_PROTECTED) -> Path:
    """The real path of `path` (relative to `root`, or absolute inside it), or PathRefused.

    The result may not exist yet (Write creates files); its existing ancestors must resolve inside the
    root. The root itself is allowed (Glob and Grep search it).
    """
    raw = _plain(path)
    root_abs = Path(os.path.abspath(root))
    root_real = root_abs.resolve()
    candidate = Path(raw)
    if not candidate.is_absolute():
        candidate = root_abs / candidate
    lexical = Path(os.path.normpath(candidate))
    if not (_inside(lexical, root_abs) or _inside(lexical, root_real)):
        raise PathRefused(f"{path} is outside the workspace")
    real = lexical.resolve()
    if not _inside(real, root_real):
        raise PathRefused(f"{path} leads outside the workspace (through a symbolic link)")
    for rel in {_rel(lexical, root_abs, root_real), real.relative_to(root_real).as_posix()}:
        pattern = protected_match(rel, protected)
        if pattern is not None:
            raise PathRefused(f"{path} is protected (matches {pattern!r})")
    return real


def protected_match(rel: str, protected: Iterable[str]) -> str | None:
    """The protected pattern that covers the root-relative posix path `rel`, or None."""
    parts = [p.casefold() for p in rel.split("/") if p and p != "."]
    for pattern in protected:
        pat = pattern.strip()
        core = pat.strip("/").casefold()
        if not core:
            continue
        if pat.startswith("/") or "/" in core:
            segs = core.split("/")
            if len(parts) >= len(segs) and all(fnmatchcase(p, s) for p, s in zip(parts, segs)):
                return pattern
        elif any(fnmatchcase(p, core) for p in parts):
            return pattern
    return None


def check_scope(edit_path: str, requested_path: str, allow_other_files: bool, *,
                root: str | os.PathLike[str] | None = None) -> str:
    """The path an edit may be applied to, or ScopeError when it would widen the job.

    A job changes only the file it was asked about unless `allow_other_files`. The model usually
    names that file by a shorter relative path ("app.py" for "/ws/src/app.py"), which is accepted
    when its components are the tail of the requested path; `..`, `~` and other absolute paths are
    not. Returns `requested_path` when in scope (or `edit_path` when other files are allowed; resolve
    it with `resolve_path` before use).
    """
    if allow_other_files:
        return edit_path
    if not edit_path or not edit_path.strip() or same_file(edit_path, requested_path, root):
        return requested_path
    raise ScopeError(f"the edit targets {edit_path}, but this job may only change {requested_path}")


def same_file(a: str, b: str, root: str | os.PathLike[str] | None = None) -> bool:
    """Whether the edit's path `a` names the requested file `b` (see `check_scope`); not symmetric."""
    a, b = _plain_or_none(a), _plain_or_none(b)
    if a is None or b is None:
        return False
    if root is not None:
        base = os.path.abspath(root)
        pa = os.path.normpath(os.path.join(base, a))
        pb = os.path.normpath(os.path.join(base, b))
        if pa == pb or os.path.realpath(pa) == os.path.realpath(pb):
            return True
    na, nb = posixpath.normpath(a.replace("\\", "/")), posixpath.normpath(b.replace("\\", "/"))
    if na == nb:
        return True
    edit_parts, req_parts = na.split("/"), nb.split("/")
    if posixpath.isabs(na) or ".." in edit_parts or na.startswith("~"):
        return False
    return len(edit_parts) <= len(req_parts) and req_parts[-len(edit_parts) :] == edit_parts


def _plain(path: str) -> str:
    if not isinstance(path, str) or not path.strip():
        raise PathRefused("empty path")
    p = path.strip()
    if _URI.match(p):
        p = uri_to_path(p)
    if "\x00" in p:
        raise PathRefused(f"{path!r} is not a valid path")
    if p.startswith("~"):
        raise PathRefused(f"{path} is outside the workspace (home-relative paths are not allowed)")
    return p


def uri_to_path(uri: str) -> str:
    """The file-system path of a `file:` URI, by pygls' rules (the ones the server uses for documents):
    percent-escapes decoded (`file:///c%3A/x` is the drive path `c:/x`), UNC authorities kept, `;` and
    `#`-free names intact. Other schemes, and drive paths on a system without drives, are refused."""
    from pygls import IS_WIN
    from pygls.uris import to_fs_path

    if uri[:17].lower() == "file://localhost/":  # RFC 8089: the local host, the same as no authority
        uri = "file:///" + uri[17:]
    path = to_fs_path("file:" + uri[5:])
    if path is None:
        raise PathRefused(f"{uri} is not a file: URI")
    if not IS_WIN and (_DRIVE.match(path) or path.startswith("//")):
        raise PathRefused(f"{uri} names a Windows path ({path}), which is outside this workspace")
    return path


def _plain_or_none(path: str) -> str | None:
    try:
        return _plain(path)
    except PathRefused:
        return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _rel(lexical: Path, root_abs: Path, root_real: Path) -> str:
    base = root_abs if _inside(lexical, root_abs) else root_real
    return lexical.relative_to(base).as_posix()
