"""Where explanations are written so the editor can open them as markdown documents.

One directory per workspace under the user cache (`<cache>/cadre-lsp/explain/<workspace hash>/`), never
inside the user's workspace, one file per explained region (re-explaining it overwrites the file, so the
editor's tab updates instead of multiplying).
"""

from __future__ import annotations

import re
from pathlib import Path

# platformdirs and hashlib are imported where used: this module is loaded with the server, and they
# cost ~20 ms of start-up for something needed only when an explanation is written.


def _digest(text: str, n: int) -> str:
    import hashlib

    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def cache_root() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cadre-lsp", appauthor=False))


def explain_dir(workspace_root: str | None) -> Path:
    key = _digest(workspace_root or "<no workspace>", 12)
    name = re.sub(r"[^\w.-]+", "_", Path(workspace_root).name) if workspace_root else "default"
    return cache_root() / "explain" / f"{name}-{key}"


def write_explanation(workspace_root: str | None, path: str, start_line: int, end_line: int,
                      markdown: str, *, summary: str = "") -> Path:
    """Write the explanation of lines start..end (0-based, inclusive) of `path`; returns the file."""
    stem = re.sub(r"[^\w.-]+", "_", Path(path).name) or "untitled"
    where = _digest(path, 6)
    out = explain_dir(workspace_root) / f"{stem}-{where}-L{start_line + 1}-{end_line + 1}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    header = f"# {Path(path).name}, lines {start_line + 1}-{end_line + 1}\n\n"
    footer = f"\n\n---\n*{summary}*\n" if summary else "\n"
    out.write_text(header + markdown.strip() + footer, encoding="utf-8")
    return out
