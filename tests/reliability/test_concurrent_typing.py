"""Concurrent typing: the user keeps typing at random places while fix jobs run and their edits arrive.

Each round opens a fresh module of small buggy functions, starts a fix job on each of them at once (so
every job reads the text before any typing), then types random inserts and deletes, from an alphabet
no code or model reply contains (Greek letters, an astral emoji for UTF-16 surrogates), every few
milliseconds until every job has reported. The editor-like client applies an edit only when its
version matches its buffer (harness.Session), so edits race the typing as in a real editor.
Afterwards, independently of the server:
- the typed characters in the buffer are exactly the ones the user typed and did not delete, in the
  user's order (0 lost, 0 duplicated);
- with those characters removed, the buffer is the original module with exactly the fixes whose jobs
  said "applied" (each fix present once) and none of those that said "not applied", which must carry
  a message.
CADRE_SOAK=1 runs 30 rounds per profile instead of 2.
"""

from __future__ import annotations

import asyncio
import difflib
import random
from collections.abc import Callable
from typing import Any

import pytest

from lsp.harness import FIX, Session, exchange, fenced, session
from reliability.conftest import scale

NAME = "concurrent typing"
FUNCS = 8
TYPED = "αβγδεζηθλμπσφψω🙂"
"""What the user types: characters no code or model reply here contains (🙂 is two UTF-16 units)."""


def func(i: int, op: str) -> str:
    return f'def step_{i}(x):\n    """Return x plus {i}."""\n    y = x\n    return y {op} {i}\n'


def module() -> str:
    return '"""Steps."""\n\nimport math\n\n\n' + "\n\n".join(func(i, "-") for i in range(FUNCS)) + "\n# end\n"


def script(rng: random.Random) -> list[dict[str, Any]]:
    """One fix per function, each with its own model latency so the edits arrive spread over the typing."""
    return [exchange(FIX, f"def step_{i}(", reply=fenced(func(i, "+")), latency_s=round(rng.uniform(0.2, 1.2), 2))
            for i in range(FUNCS)]



class Typist:
    """Types into one buffer and keeps its own record of what the user typed, in buffer order."""

    def __init__(self, s: Session, uri: str, rng: random.Random) -> None:
        self.s, self.uri, self.rng = s, uri, rng
        self.typed: list[str] = []
        """The user's characters still in the buffer, in order (what the buffer must show)."""
        self.count = 0

    def _typed_before(self, offset: int) -> int:
        return sum(1 for ch in self.s.text(self.uri)[:offset] if ch in TYPED)

    def step(self) -> None:
        text = self.s.text(self.uri)
        own = [i for i, ch in enumerate(text) if ch in TYPED]
        if own and self.rng.random() < 0.25:  # delete a run of the user's own characters
            at = self.rng.choice(own)
            end = at + 1
            while end < len(text) and text[end] in TYPED and end - at < 3:
                end += 1
            k = self._typed_before(at)
            del self.typed[k : k + (end - at)]
            self.s.replace(self.uri, at, end, "")
            return
        at = self.rng.randrange(len(text) + 1)
        word = "".join(self.rng.choice(TYPED) for _ in range(self.rng.randint(1, 3)))
        k = self._typed_before(at)
        self.typed[k:k] = list(word)
        self.count += len(word)
        self.s.replace(self.uri, at, at, word)


def strip_typed(text: str) -> str:
    return "".join(ch for ch in text if ch not in TYPED)


async def one_round(s: Session, ws: Any, n: int, rng: random.Random) -> dict[str, int]:
    uri = ws.write(f"steps_{n}.py", module())
    s.open(uri, module())
    lines = module().split("\n")
    jobs = {}
    for i in range(FUNCS):
        line = lines.index(f"    return y - {i}")
        jobs[i] = await s.run("fix", uri, s.line_range(uri, line, line))
    typist = Typist(s, uri, rng)
    while not all(s.result_of(j) for j in jobs.values()):
        typist.step()
        await asyncio.sleep(rng.uniform(0.002, 0.03))
        assert typist.count < 20_000, "the jobs never reported"
    for _ in range(rng.randint(0, 20)):  # and a little more after the last edit
        typist.step()
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.1)

    buffer = s.text(uri)
    seen = [ch for ch in buffer if ch in TYPED]
    matched = sum(b.size for b in difflib.SequenceMatcher(None, typist.typed, seen, autojunk=False)
                  .get_matching_blocks())
    lost = len(typist.typed) - matched
    assert seen == typist.typed, f"typed text lost or reordered: {''.join(typist.typed)!r} vs {''.join(seen)!r}"

    expected = module()
    counts = {"characters_typed": typist.count, "characters_lost": lost, "edits_applied": 0, "edits_rebased": 0,
              "edits_refused": 0}
    for i, job in jobs.items():
        result = s.result_of(job)
        assert result is not None
        summary = result["summary"]
        if summary.startswith("not applied"):
            counts["edits_refused"] += 1
            assert result["markdown"].strip(), "a refused edit must come with a message"
        else:
            assert "fail" not in summary, summary
            counts["edits_applied"] += 1
            counts["edits_rebased"] += "rebased" in summary
            expected = expected.replace(func(i, "-"), func(i, "+"))
    code = strip_typed(buffer)
    assert code == expected, "".join(difflib.unified_diff(expected.splitlines(True), code.splitlines(True)))
    for i, job in jobs.items():
        fixed = code.count(f"return y + {i}\n")
        assert fixed == (0 if s.result_of(job)["summary"].startswith("not applied") else 1), (i, fixed)
    s.client.text_document_did_close(_close(uri))
    return counts


def _close(uri: str) -> Any:
    from lsprotocol import types

    return types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))


@pytest.mark.parametrize("profile", ["visual_studio_code", "helix"])
async def test_typing_while_edits_arrive_loses_nothing(ws: Any, profile: str, figure: Callable[..., None]) -> None:
    rng = random.Random(f"typing-{profile}")
    cfg = ws.configure(script(rng), tokens_per_s=200, extra="[jobs_per_role]\ncoding = 4\n")
    totals: dict[str, int] = {}
    async with session(ws, profile, config=cfg) as s:
        for n in range(scale(2, 30)):
            counts = one_round(s, ws, n, rng)
            for k, v in (await counts).items():
                totals[k] = totals.get(k, 0) + v
        client_refusals = len(s.refused_edits)
    figure(NAME, rounds=scale(2, 30), jobs=scale(2, 30) * FUNCS, **totals,
           client_version_refusals=client_refusals)
    assert totals["characters_lost"] == 0
    # the run must have exercised both outcomes, or it proves little
    assert totals["edits_rebased"] > 0 and totals["edits_refused"] > 0, totals


def test_rebase_never_moves_an_edit_to_a_look_alike_line(figure: Callable[..., None]) -> None:
    """The defect the e2e run found, at its cause: with the user's typing on nearly every line, the line
    diff has no unique anchors and paired `return y - 2` with `return y - 3`; the rebased fix landed
    in the wrong function. Now each change either lands where it was meant to or is refused."""
    from cadre_lsp.core import FileEdit, TextChange
    from cadre_lsp.edits import EditConflict, rebase

    base = module()
    moved = refused = 0
    for seed in range(scale(400, 10_000)):
        rng = random.Random(seed)
        current = base
        for _ in range(rng.randint(1, 80)):
            own = [i for i, ch in enumerate(current) if ch in TYPED]
            at = rng.choice(own) if own and rng.random() < 0.25 else None
            if at is not None:
                current = current[:at] + current[at + 1 :]
            else:
                at = rng.randrange(len(current) + 1)
                current = current[:at] + rng.choice(TYPED) + current[at:]
        i = rng.randrange(FUNCS)
        at = base.index(f"return y - {i}") + len("return y ")
        try:
            out = rebase(FileEdit("/steps.py", base, [TextChange(at, at + 1, "+")], 1), current, version=2)
        except EditConflict:
            refused += 1
            continue
        where = out.changes[0].start
        moved += len(strip_typed(current[:where])) != at  # its place in the code, the typing left out
    figure("rebase under typing (unit)", rebases=scale(400, 10_000), refused=refused, misplaced=moved)
    assert moved == 0
