"""A workspace-wide index of top-level definitions by name, built lazily on first lookup.

It answers "where is `parse_config` defined?" when the definition being worked on uses a name its own
file does not define. Files are parsed once with tree-sitter; editors' unsaved buffers replace the disk
text through `update`. Dependency, build and VCS folders are skipped, and so are large files: the
index is for the user's own code.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable

from .documents import parse_document
from .grammars import grammar, language_for
from .languages import spec_for
from .outline import Definition, make_definition, outline_of

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", ".env", "__pycache__", "build", "dist",
     "target", "out", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
     ".cache", ".idea", ".vscode", "site-packages", ".eggs", "vendor", "third_party", ".next", ".cadre-cache",
     "bazel-out", "cmake-build-debug", "cmake-build-release", ".gradle", ".terraform"}
)  # fmt: skip
MAX_FILE_BYTES = 256_000
MAX_FILES = 5_000


class SymbolIndex:
    """Top-level definitions of every source file under `root`, by name; thread-safe."""

    def __init__(
        self,
        root: str,
        *,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_files: int = MAX_FILES,
        skip_dirs: Iterable[str] = SKIP_DIRS,
    ) -> None:
        self.root = os.path.abspath(root)
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.skip_dirs = frozenset(skip_dirs)
        self._by_name: dict[str, list[Definition]] = {}
        self._by_file: dict[str, list[Definition]] = {}
        self._overrides: dict[str, str | None] = {}
        self._lock = threading.RLock()
        self._built = False
        self.build_seconds: float | None = None
        self.truncated = False
        """True when the walk stopped at `max_files`."""

    @property
    def built(self) -> bool:
        return self._built

    @property
    def file_count(self) -> int:
        return len(self._by_file)

    @property
    def symbol_count(self) -> int:
        return sum(len(defs) for defs in self._by_file.values())

    def build(self) -> None:
        """Walk the workspace and index it (once; later calls return at once)."""
        with self._lock:
            if self._built:
                return
            started = time.perf_counter()
            for path in self._source_files():
                text = self._overrides[path] if path in self._overrides else _read(path)
                if text is not None:
                    self._index(path, text)
            for path, text in self._overrides.items():
                if path not in self._by_file and text is not None:
                    self._index(path, text)
            self._built = True
            self.build_seconds = time.perf_counter() - started

    def lookup(self, name: str) -> list[Definition]:
        """Top-level definitions named `name` anywhere in the workspace (builds the index on first use)."""
        if not self._built:
            self.build()
        return list(self._by_name.get(name, ()))

    def definitions_in(self, path: str) -> list[Definition]:
        if not self._built:
            self.build()
        return list(self._by_file.get(self._abs(path), ()))

    def update(self, path: str, text: str | None) -> None:
        """Re-index one file from `text` (an editor buffer, or the file after a save); None removes it."""
        path = self._abs(path)
        if not self._inside(path) or language_for(path) is None:
            return
        with self._lock:
            if not self._built:
                self._overrides[path] = text
                return
            self._drop(path)
            if text is not None:
                self._index(path, text)

    def remove(self, path: str) -> None:
        self.update(path, None)

    # --- internals ---

    def _abs(self, path: str) -> str:
        return os.path.abspath(path if os.path.isabs(path) else os.path.join(self.root, path))

    def _inside(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root.rstrip(os.sep) + os.sep)

    def _source_files(self) -> Iterable[str]:
        count = 0
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in self.skip_dirs and not d.endswith(".egg-info") and not d.startswith(".")
            )
            for filename in sorted(filenames):
                language = language_for(filename)
                if language is None or spec_for(language) is None or grammar(language) is None:
                    continue
                path = os.path.join(dirpath, filename)
                try:
                    if os.path.getsize(path) > self.max_file_bytes or os.path.islink(path):
                        continue
                except OSError:
                    continue
                count += 1
                if count > self.max_files:
                    self.truncated = True
                    return
                yield path

    def _index(self, path: str, text: str) -> None:
        if len(text) > self.max_file_bytes:
            return
        doc = parse_document(text, language_for(path), path)
        outline = outline_of(doc)
        if outline is None:
            return
        defs = [make_definition(doc, outline.spec, entry, path=path) for entry in outline.top_level()]
        self._by_file[path] = defs
        for definition in defs:
            self._by_name.setdefault(definition.name, []).append(definition)

    def _drop(self, path: str) -> None:
        for definition in self._by_file.pop(path, []):
            same = self._by_name.get(definition.name)
            if same is not None:
                same[:] = [d for d in same if d.path != path]
                if not same:
                    del self._by_name[definition.name]


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


_SHARED: dict[str, SymbolIndex] = {}
_SHARED_LOCK = threading.Lock()


def shared_index(root: str) -> SymbolIndex:
    """The one index per workspace root that requests share (built on its first lookup)."""
    key = os.path.abspath(root)
    with _SHARED_LOCK:
        index = _SHARED.get(key)
        if index is None:
            index = _SHARED[key] = SymbolIndex(key)
        return index
