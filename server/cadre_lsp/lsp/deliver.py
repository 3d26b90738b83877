"""Deliver a job's FileEdit to the client without ever losing what the user typed meanwhile.

The edit was built against the text (and version) the job read. If the buffer is still at that version
it goes out as is, versioned. If the user typed elsewhere, `edits.rebase` moves it onto the current
text and it goes out against the current version. If the user typed inside the edited region, nothing
is applied: the caller is told, and offers a Retry. A client that still refuses (typing raced the
applyEdit) gets a fresh rebase a few times before we give up and say so.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ..core import FileEdit
from .client import ClientCaps, ask
from .open_documents import OpenDocuments
from .positions import LineTable

log = logging.getLogger(__name__)

APPLY_ATTEMPTS = 3


@dataclass
class Delivery:
    status: Literal["applied", "conflict", "refused", "unchanged"]
    detail: str = ""
    rebased: bool = False


def text_edits(base_text: str, edit: FileEdit, encoding: str | None) -> list[types.TextEdit]:
    """The edit's changes as LSP TextEdits, every range measured in `base_text` (LSP semantics)."""
    table = LineTable(base_text)
    return [types.TextEdit(range=table.range(ch.start, ch.end, encoding), new_text=ch.new_text)
            for ch in sorted(edit.changes, key=lambda c: (c.start, c.end))]


def workspace_edit(uri: str, version: int | None, edits: list[types.TextEdit], *,
                   document_changes: bool) -> types.WorkspaceEdit:
    """A versioned `documentChanges` edit where the client takes them, else the plain `changes` map."""
    if document_changes:
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=ident, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})


def _current(docs: OpenDocuments, uri: str, path: str) -> tuple[str, int | None] | None:
    doc = docs.get(uri)
    if doc is not None:
        return doc.text, doc.version
    try:  # not open any more: the file on disk is the truth, and carries no version
        return Path(path).read_text(encoding="utf-8"), None
    except OSError:
        return None


async def deliver_edit(ls: LanguageServer, caps: ClientCaps, docs: OpenDocuments, uri: str, edit: FileEdit,
                       *, label: str) -> Delivery:
    """Send `edit` (for `uri`) with workspace/applyEdit, rebased onto the current text when needed."""
    from ..edits import EditConflict, rebase

    if not edit.changes:
        return Delivery("unchanged", "the model proposed no change")
    rebased = False
    for attempt in range(APPLY_ATTEMPTS):
        current = _current(docs, uri, edit.path)
        if current is None:
            return Delivery("conflict", f"{edit.path} can no longer be read")
        text, version = current
        target = edit
        if text != edit.base_text:
            try:
                target = rebase(edit, text, version=version)
            except EditConflict as exc:
                return Delivery("conflict", str(exc) or "the edited region changed", rebased)
            rebased = True
        params = types.ApplyWorkspaceEditParams(
            label=label,
            edit=workspace_edit(uri, version, text_edits(text, target, caps.encoding),
                                document_changes=caps.document_changes))
        try:
            reply = await ask(ls, types.WORKSPACE_APPLY_EDIT, params, timeout=60)
        except Exception as exc:  # a client error is a refusal, reported to the user
            return Delivery("refused", f"the editor did not apply the edit ({exc})", rebased)
        applied = getattr(reply, "applied", None)
        if applied is None and isinstance(reply, dict):
            applied = reply.get("applied")
        if applied:
            return Delivery("applied", "", rebased)
        reason = getattr(reply, "failure_reason", None) or "no reason given"
        log.info("applyEdit refused (attempt %d): %s", attempt + 1, reason)
        # Most refusals are a version race with typing in flight: let its didChange land, then rebase.
        await asyncio.sleep(0.05 * (attempt + 1))
    return Delivery("refused", f"the editor refused the edit ({reason})", rebased)
