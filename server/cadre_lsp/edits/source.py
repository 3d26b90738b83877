"""Reading a user's file and writing an edit back so that no byte outside the edit changes.

Files are read as bytes and decoded without newline translation, so `\\r\\n`, lone `\\r`, mixed endings,
a missing final newline, tabs and trailing spaces all survive into the text the job sees and back out.
A UTF-8 BOM is remembered and put back; UTF-16 with a BOM, and 8-bit encodings a PEP 263 coding cookie
declares (latin-1, cp1252, ...), are read and written in that same encoding. Anything else that is not
UTF-8 is refused with one line that names the problem, never decoded by guessing (a wrong guess would
be written back as mojibake).

`write_source` replaces a file only if its bytes are still the ones read (another editor may have
saved it meanwhile, or another `run --apply` won the race), under an exclusive lock where the OS has
one, through a temporary file in the same directory and `os.replace`, keeping the file's mode.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core import CadreError, FileEdit

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
"""PEP 263: a comment on line 1 or 2 naming the encoding (`# -*- coding: latin-1 -*-`)."""
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
MAX_SOURCE_BYTES = 16 * 1024 * 1024
"""Larger files are refused: a job reads a bounded context, and a whole-file diff of more is no use."""


class SourceError(CadreError):
    """A file that cannot be read as text, or cannot be written back safely; the message is one line."""


@dataclass(frozen=True)
class SourceFile:
    """A file's text as the job reads it, plus what it takes to write it back byte for byte."""

    path: str
    text: str
    encoding: str = "utf-8"
    """A Python codec name; with `bom`, the BOM of that encoding precedes the text on disk."""
    bom: bytes = b""
    digest: str = ""
    """sha256 of the bytes read: the file may only be replaced while it still has them."""
    mode: int | None = None

    def encode(self, text: str) -> bytes:
        """`text` as this file's bytes (BOM included), or SourceError when a character does not fit."""
        try:
            return self.bom + text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise SourceError(f"{self.path}: the edit adds {bad!r}, which {self.encoding} cannot store; "
                              "not applied") from None


def decode_source(data: bytes, path: str = "the file") -> tuple[str, str, bytes]:
    """(text, encoding, bom) of a file's bytes, or SourceError naming why it is not readable text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(encoding), encoding, bom
            except UnicodeDecodeError as exc:
                raise SourceError(f"{path}: starts with a {encoding} byte order mark but is not valid "
                                  f"{encoding} ({_where(body, exc)})") from None
    if b"\x00" in data[:8192]:  # what git and grep call binary; valid UTF-8 can still hold NULs
        raise SourceError(f"{path}: binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8", b""
    except UnicodeDecodeError as exc:
        utf8_error = exc
    declared = _declared_encoding(data)
    if declared is None:
        raise SourceError(f"{path}: not UTF-8 text ({_where(data, utf8_error)}); convert it to UTF-8, or "
                          "declare its encoding with a coding comment on line 1 or 2 (# -*- coding: latin-1 -*-)")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise SourceError(f"{path}: declares an unknown encoding {declared!r}") from None
    try:
        return data.decode(codec), codec, b""
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: declares {declared} but is not valid {declared} ({_where(data, exc)})") from None


def read_source(path: str | os.PathLike[str]) -> SourceFile:
    """The file at `path` as a SourceFile, or SourceError (one line) for anything that is not text."""
    p = Path(path)
    try:
        info = p.stat()
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(f"{path}: is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{path}: not a regular file")
        if info.st_size > MAX_SOURCE_BYTES:
            raise SourceError(f"{path}: {info.st_size // (1024 * 1024)} MiB is more than the "
                              f"{MAX_SOURCE_BYTES // (1024 * 1024)} MiB a job reads")
        data = p.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    text, encoding, bom = decode_source(data, str(path))
    return SourceFile(path=str(path), text=text, encoding=encoding, bom=bom,
                      digest=hashlib.sha256(data).hexdigest(), mode=stat.S_IMODE(info.st_mode))


def write_source(source: SourceFile, new_text: str) -> None:
    """Replace the file with `new_text`, only if it still holds exactly the bytes `source` was read from.

    Raises SourceError (nothing written) when the file changed on disk, vanished, or cannot take the
    text. The check and the replace happen under an exclusive lock on the file, so of two writers
    that read the same bytes one wins and the other sees the change and is refused.
    """
    data = source.encode(new_text)
    target = Path(source.path)
    with _locked(target, source.path):
        try:
            current = target.read_bytes()
        except OSError as exc:
            raise SourceError(f"{source.path}: cannot read it again before writing ({exc.strerror or exc}); "
                              "not applied") from None
        if hashlib.sha256(current).hexdigest() != source.digest:
            raise SourceError(f"{source.path}: changed on disk since it was read (saved by another program?); "
                              "not applied — run it again on the current file")
        replace_atomically(target, data, source.mode)


def apply_file_edit(edit: FileEdit, source: SourceFile | None = None) -> None:
    """Write `edit` to disk byte-exactly: the file after it is the file before with the edit's ranges
    replaced, in the file's own encoding, BOM and mode (line endings are the edit's business, see
    match.py). `source` is the snapshot the job's text came from; without one the file is read now
    and must still hold `edit.base_text`. Raises SourceError, writing nothing, when it does not.
    """
    if edit.create:
        create_source(edit.path, edit.apply())
        return
    if source is None:
        source = read_source(edit.path)
    if source.text != edit.base_text:
        raise SourceError(f"{edit.path}: changed on disk while the job ran; not applied — run it again")
    write_source(source, edit.apply())


def create_source(path: str | os.PathLike[str], text: str) -> None:
    """Create a new UTF-8 file; refused (SourceError) if one appeared at `path` meanwhile."""
    try:
        with open(path, "xb") as fh:
            fh.write(text.encode("utf-8"))
    except FileExistsError:
        raise SourceError(f"{path}: a file appeared there while the job ran; not overwritten") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot create ({exc.strerror or exc})") from None


def replace_atomically(target: Path, data: bytes, mode: int | None) -> None:
    """Write `data` to a temporary file beside `target`, then rename it over `target` (readers never see
    half a file; a crash leaves the old one). The mode is kept; the owner is whoever writes."""
    real = Path(os.path.realpath(target))  # replace the file a symlink points at, not the link
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".cadre-tmp", dir=real.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise SourceError(f"{target}: cannot write ({exc.strerror or exc}); not applied") from None
        raise


@contextlib.contextmanager
def _locked(target: Path, label: str) -> Iterator[None]:
    """An exclusive advisory lock on the file (POSIX flock); a no-op where there is none."""
    try:
        import fcntl
    except ImportError:  # Windows: os.replace alone, the content check still applies
        yield
        return
    try:
        fh = open(target, "rb")  # held (and locked) until the write is done
    except OSError as exc:
        raise SourceError(f"{label}: cannot open it to write ({exc.strerror or exc}); not applied") from None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        fh.close()  # closing releases the lock


def _declared_encoding(data: bytes) -> str | None:
    for line in data.split(b"\n", 2)[:2]:
        m = _COOKIE.match(line)
        if m:
            return m.group(1).decode("ascii")
        if line.strip() and not line.lstrip().startswith(b"#"):
            break  # PEP 263: line 2 counts only after a comment line
    return None


def _where(data: bytes, exc: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    return f"byte 0x{data[exc.start]:02x} at line {line} cannot be decoded"
