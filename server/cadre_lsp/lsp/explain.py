"""Where explanations are written so the editor can open them as markdown documents.

One directory per workspace under the user cache (`<cache>/cadre-lsp/explain/<workspace hash>/`), never
inside the user's workspace, one file per explained region (re-explaining it overwrites the file, so the
editor's tab updates instead of multiplying).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from platformdirs import user_cache_dir


def cache_root() -> Path:
    return Path(user_cache_dir("cadre-lsp", appauthor=False))


def explain_dir(workspace_root: str | None) -> Path:
    key = hashlib.sha1((workspace_root or "<no workspace>").encode("utf-8")).hexdigest()[:12]
    name = re.sub(r"[^\w.-]+", "_", Path(workspace_root).name) if workspace_root else "default"
    return cache_root() / "explain" / f"{name}-{key}"


def write_explanation(workspace_root: str | None, path: str, start_line: int, end_line: int,
                      markdown: str, *, summary: str = "") -> Path:
    """Write the explanation of lines start..end (0-based, inclusive) of `path`; returns the file."""
    stem = re.sub(r"[^\w.-]+", "_", Path(path).name) or "untitled"
    where = hashlib.sha1(path.encode("utf-8")).hexdigest()[:6]
    out = explain_dir(workspace_root) / f"{stem}-{where}-L{start_line + 1}-{end_line + 1}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    header = f"# {Path(path).name}, lines {start_line + 1}-{end_line + 1}\n\n"
    footer = f"\n\n---\n*{summary}*\n" if summary else "\n"
    out.write_text(header + markdown.strip() + footer, encoding="utf-8")
    return out
