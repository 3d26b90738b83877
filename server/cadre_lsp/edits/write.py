"""Write calls -> a FileEdit that creates a file or replaces a whole one, inside the workspace only."""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..core import FileEdit
from ..toolcalls.call_checks import validate_call
from ..toolcalls.types import ToolCall
from .apply import minimal_change
from .errors import EditError
from .match import detect_eol
from .paths import DEFAULT_PROTECTED, resolve_path


def write_edit(root: str | os.PathLike[str], call: ToolCall, protected: Iterable[str] = DEFAULT_PROTECTED, *,
               current_text: str | None = None, version: int | None = None) -> FileEdit:
    """FileEdit for a Write call: `create=True` for a new file, else one change over the whole text.

    `current_text`/`version` are the editor's copy when the file is open (it may differ from disk);
    otherwise the file is read from disk. An existing file keeps its line endings.
    """
    if call.name != "Write":
        raise EditError(f"{call.name or 'the call'} is not a Write call")
    reason = validate_call(call)
    if reason:
        raise EditError(reason)
    target = resolve_path(root, call.arguments["path"], protected)
    content: str = call.arguments["content"]
    if target.is_dir():
        raise EditError(f"{call.arguments['path']} is a directory")
    if current_text is None and not target.exists():
        return FileEdit(path=str(target), base_text="", changes=[minimal_change("", 0, 0, content)],
                        version=version, create=True)
    if current_text is None:
        try:
            with open(target, encoding="utf-8", newline="") as fh:
                current_text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise EditError(f"cannot read {call.arguments['path']}: {exc}") from None
    if detect_eol(current_text) == "\r\n":
        content = content.replace("\r\n", "\n").replace("\n", "\r\n")
    if content == current_text:
        raise EditError(f"Write changes nothing in {call.arguments['path']}")
    change = minimal_change(current_text, 0, len(current_text), content)
    return FileEdit(path=str(target), base_text=current_text, changes=[change], version=version)
