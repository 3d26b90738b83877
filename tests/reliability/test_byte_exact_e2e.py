"""Through the real server: an edit delivered with workspace/applyEdit changes nothing outside itself.

Generated buffers mix "\\n" and "\\r\\n", may lack a final newline, and hold tabs,
trailing spaces, non-BMP characters, form feeds and U+2028 (which pygls' own line splitting treats as
breaks). The scripted model rewrites one line (and may add one); the client below applies the edit by
LSP's line rules in the negotiated encoding, written independently of the server's positions.py.
Several documents share one server per example, so the property stays within a few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from cadre_lsp.edits.match import detect_eol
from lsp.harness import PROFILES, Session, Workspace, exchange, session, units, wait_for

BREAKS = re.compile(r"\r\n|\r|\n")
DOCS_PER_EXAMPLE = 4


def lsp_lines(text: str) -> list[tuple[int, int]]:
    """(start, content end) of each line by LSP's rule: breaks are \\r\\n, \\r and \\n, nothing else."""
    out, pos = [], 0
    for m in BREAKS.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def to_offset(text: str, pos: types.Position, encoding: str) -> int:
    lines = lsp_lines(text)
    if pos.line >= len(lines):
        return len(text)
    start, end = lines[pos.line]
    n = 0
    for i in range(start, end):
        if n >= pos.character:
            return i
        n += units(text[i], encoding)
    return end


def apply_by_lsp_rules(s: Session) -> Callable[[types.ApplyWorkspaceEditParams], types.ApplyWorkspaceEditResult]:
    def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        s.edits.append(params)
        for dc in params.edit.document_changes or []:
            buf = s.buffers[dc.text_document.uri]
            spans = [(to_offset(buf.text, e.range.start, s.encoding), to_offset(buf.text, e.range.end, s.encoding),
                      e.new_text) for e in dc.edits]
            for start, end, new_text in sorted(spans, reverse=True):
                buf.text = buf.text[:start] + new_text + buf.text[end:]
        for uri, edits in (params.edit.changes or {}).items():
            buf = s.buffers[uri]
            spans = [(to_offset(buf.text, e.range.start, s.encoding), to_offset(buf.text, e.range.end, s.encoding),
                      e.new_text) for e in edits]
            for start, end, new_text in sorted(spans, reverse=True):
                buf.text = buf.text[:start] + new_text + buf.text[end:]
        return types.ApplyWorkspaceEditResult(applied=True)

    return apply


_CHARS = st.sampled_from(list("ab x=(\t") + ["é", "\U0001f44b", "\u00a0", "\f", "\u2028", "  "])


@st.composite
def case(draw: st.DrawFn, j: int) -> dict[str, object]:
    n = draw(st.integers(1, 8))
    lines = []
    for i in range(n):
        indent = draw(st.sampled_from(["", "\t", "    "]))
        body = draw(st.lists(_CHARS, max_size=6).map("".join))
        trailing = draw(st.sampled_from(["", " ", "\t"]))
        lines.append((f"{indent}d{j}v{i} = {body}{trailing}", draw(st.sampled_from(["\n", "\r\n"]))))
    if draw(st.booleans()):
        lines[-1] = (lines[-1][0], "")
    k = draw(st.integers(0, n - 1))
    indent = lines[k][0][: len(lines[k][0]) - len(lines[k][0].lstrip(" \t"))]
    new_line = indent + draw(st.sampled_from(["w = 1", "w = '\U0001f600'", "w\t= é"]))
    inserted = draw(st.sampled_from([None, "z = 2", "z = '\U0001f44b'"]))
    text = "".join(c + e for c, e in lines)  # no BOM: editors strip it (the CLI tests cover it on disk)
    start = sum(len(c) + len(e) for c, e in lines[:k])
    end = start + len(lines[k][0])
    expected = text[:start] + new_line + (detect_eol(text) + indent + inserted if inserted else "") + text[end:]
    reply = new_line + ("\n" + indent + inserted if inserted else "") + "\n"
    return {"text": text, "line": k, "marker": f"d{j}v{k} =", "reply": reply,
            "expected": expected, "content": lines[k][0]}


@pytest.mark.parametrize("profile", [PROFILES[0], "helix"])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_server_edits_change_nothing_outside_the_edit(tmp_path_factory: pytest.TempPathFactory,
                                                            profile: str, data: st.DataObject,
                                                            figure: Callable[..., None]) -> None:
    cases = [data.draw(case(j), label=f"doc {j}") for j in range(DOCS_PER_EXAMPLE)]
    ws = Workspace.create(tmp_path_factory.mktemp("bytes"), files={})
    cfg = ws.configure([exchange(c["marker"], reply=f"```\n{c['reply']}```") for c in cases])
    async with session(ws, profile, config=cfg) as s:
        s._apply = apply_by_lsp_rules(s)  # type: ignore[method-assign]
        jobs = []
        for j, c in enumerate(cases):
            uri = (ws.root / f"d{j}.txt").as_uri()
            s.open(uri, c["text"], language="plaintext")
            line = c["line"]
            rng = types.Range(start=types.Position(line=line, character=0),
                              end=types.Position(line=line, character=units(c["content"], s.encoding)))
            jobs.append((uri, c, await s.run("fix", uri, rng)))
        for uri, c, job in jobs:
            result = await s.wait_result(job)
            try:
                await wait_for(lambda uri=uri, c=c: s.text(uri) == c["expected"], 5, "the edit")
            except AssertionError:
                assert s.text(uri) == c["expected"], (c, result)
    figure("server edits byte-exact", cases=len(cases), bytes_changed_outside_edit=0)
