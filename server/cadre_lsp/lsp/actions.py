"""Code actions: the command argument object, the action kinds, and the (model-free) listing.

Listing only formats titles and argument objects, so it returns in microseconds even with many jobs
running. Kinds are chosen so each client shows the actions in its everyday menu: Fix is a `quickfix`,
Implement a `refactor.rewrite`, Explain and Review are `refactor.*` sub-kinds (VS Code's Ctrl+. menu
hides `source.*` kinds; Neovim's `vim.lsp.buf.code_action()` and Helix's Space-a show every kind).
`context.only` is honoured by LSP's prefix rule.

The light bulb stays small beside the user's other servers: one entry per action, on the action's
configured pattern, plus a review finding's quick fix; at most five cadre entries. The other patterns are
one entry away: a client that can pick (experimental capability `cadre.patternPicker`: the bundled VS Code
extension and Neovim plugin) gets "cadre: With pattern…", whose client-side command asks for the action and
the pattern. Every "<Action> with <pattern>" variant is listed when `only` asks for `source.cadre`
(kind `source.cadre.<action>`) or when the editor setting `code_actions.show_patterns` is true (then with
the action's own kind, for clients without a picker such as Helix).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types

from ..core import ACTIONS, Action, Finding

COMMANDS: dict[Action, str] = {a: f"cadre.{a}" for a in ACTIONS}
CANCEL = "cadre.cancel"
STATUS = "cadre.status"

KINDS: dict[Action, str] = {
    "explain": "refactor.cadre.explain",
    "implement": "refactor.rewrite.cadre",
    "fix": "quickfix.cadre",
    "review": "refactor.cadre.review",
}
PICKER = "cadre.runWithPattern"
"""The client-side command behind "cadre: With pattern…" (never sent to the server)."""
PICKER_KIND = "refactor.cadre.pattern"
VARIANT_KIND = "source.cadre"
ADVERTISED_KINDS = ["quickfix", "refactor", "refactor.rewrite", *KINDS.values(), PICKER_KIND, "source",
                    VARIANT_KIND, *(f"{VARIANT_KIND}.{a}" for a in ACTIONS)]
MAX_LIGHT_BULB = 5
TITLES: dict[Action, str] = {"explain": "Explain", "implement": "Implement", "fix": "Fix", "review": "Review"}


class BadArguments(ValueError):
    """The command's argument object is malformed; the message says which field."""


@dataclass
class CommandArgs:
    """The one argument object every cadre action command takes."""

    uri: str
    range: types.Range
    version: int | None = None
    pattern: str | None = None
    instruction: str = ""

    @classmethod
    def parse(cls, args: Sequence[Any]) -> CommandArgs:
        if len(args) != 1 or not isinstance(args[0], dict):
            raise BadArguments("expected one argument object {uri, range, version?, pattern?, instruction?}")
        obj = args[0]
        uri = obj.get("uri")
        if not isinstance(uri, str) or not uri:
            raise BadArguments("`uri` must be a document URI")
        try:
            rng = _range(obj["range"])
        except (KeyError, TypeError, ValueError):
            raise BadArguments("`range` must be an LSP Range {start: {line, character}, end: {...}}") from None
        version = obj.get("version")
        if version is not None and not isinstance(version, int):
            raise BadArguments("`version` must be an integer")
        pattern = obj.get("pattern") or None
        if pattern is not None and not isinstance(pattern, str):
            raise BadArguments("`pattern` must be a string")
        instruction = obj.get("instruction") or ""
        if not isinstance(instruction, str):
            raise BadArguments("`instruction` must be a string")
        return cls(uri, rng, version, pattern, instruction)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri, "range": _range_json(self.range), "version": self.version}
        if self.pattern:
            out["pattern"] = self.pattern
        if self.instruction:
            out["instruction"] = self.instruction
        return out


def _range(obj: Any) -> types.Range:
    s, e = obj["start"], obj["end"]
    return types.Range(start=types.Position(line=int(s["line"]), character=int(s["character"])),
                       end=types.Position(line=int(e["line"]), character=int(e["character"])))


def _range_json(r: types.Range) -> dict[str, Any]:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def kind_allowed(kind: str, only: Sequence[str] | None) -> bool:
    """LSP's rule: `only` entries are prefixes on dot boundaries ("refactor" admits "refactor.rewrite")."""
    if not only:
        return True
    return any(kind == o or kind.startswith(o + ".") for o in only)


@dataclass
class ActionSpec:
    title: str
    action: Action
    args: CommandArgs
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    preferred: bool = False
    kind_: str | None = None
    """Another kind than the action's own (variants under `source.cadre.<action>`, the picker)."""
    picker: dict[str, Any] | None = None
    """Set on "cadre: With pattern…": the choices its client-side command offers."""

    @property
    def kind(self) -> str:
        return self.kind_ or KINDS[self.action]

    def command(self) -> types.Command:
        if self.picker is not None:
            return types.Command(title=self.title, command=PICKER, arguments=[{**self.args.to_json(), **self.picker}])
        return types.Command(title=self.title, command=COMMANDS[self.action], arguments=[self.args.to_json()])

    def to_lsp(self, *, resolved: bool = True) -> types.CodeAction:
        if self.picker is not None:  # a client-side command: nothing to resolve
            return types.CodeAction(title=self.title, kind=self.kind, command=self.command())
        data = {"action": self.action, "args": self.args.to_json()}
        return types.CodeAction(title=self.title, kind=self.kind, command=self.command() if resolved else None,
                                diagnostics=self.diagnostics or None, is_preferred=self.preferred or None,
                                data=data)


def asks_for_variants(only: Sequence[str] | None) -> bool:
    """`only` names `source.cadre` (or one of its sub-kinds): the client asked for the pattern variants."""
    return bool(only) and any(o == VARIANT_KIND or o.startswith(VARIANT_KIND + ".") for o in only)  # type: ignore[union-attr]


def list_actions(uri: str, rng: types.Range, version: int | None, *, patterns: Iterable[str],
                 default_patterns: dict[str, str], only: Sequence[str] | None, show_patterns: bool = False,
                 picker: bool = False, others: int = 0) -> list[ActionSpec]:
    """One entry per action on its configured pattern, then (see the module docstring) the picker entry or
    the "<Action> with <pattern>" variants. `others` is how many cadre entries (a finding's quick fix) are
    listed besides these: the picker only joins while the light bulb stays within MAX_LIGHT_BULB."""
    patterns = list(patterns)
    out: list[ActionSpec] = []
    for action in ACTIONS:
        if kind_allowed(KINDS[action], only):
            default = default_patterns.get(action, "primary")
            title = f"cadre: {TITLES[action]}" + (f" ({default})" if default != "primary" else "")
            out.append(ActionSpec(title, action, CommandArgs(uri, rng, version)))
    variants = asks_for_variants(only)
    if variants or show_patterns:
        for action in ACTIONS:
            kind = f"{VARIANT_KIND}.{action}" if variants else KINDS[action]
            if not kind_allowed(kind, only):
                continue
            default = default_patterns.get(action, "primary")
            for p in patterns:
                if p != default:
                    out.append(ActionSpec(f"cadre: {TITLES[action]} with {p}", action,
                                          CommandArgs(uri, rng, version, pattern=p), kind_=kind))
    elif picker and kind_allowed(PICKER_KIND, only) and len(out) + others < MAX_LIGHT_BULB and patterns:
        choices = {"actions": list(ACTIONS), "patterns": patterns,
                   "defaults": {a: default_patterns.get(a, "primary") for a in ACTIONS}}
        out.append(ActionSpec("cadre: With pattern…", "fix", CommandArgs(uri, rng, version), kind_=PICKER_KIND,
                              picker=choices))
    return out


def finding_fix(uri: str, rng: types.Range, version: int | None, finding: Finding,
                diagnostics: list[types.Diagnostic]) -> ActionSpec:
    """The quick fix a review diagnostic offers: Fix scoped to the finding's lines, told what is wrong."""
    instruction = finding.message
    if finding.suggestion:
        instruction += f" Suggestion: {finding.suggestion}"
    short = finding.message if len(finding.message) <= 60 else finding.message[:57] + "..."
    return ActionSpec(f"cadre: Fix: {short}", "fix", CommandArgs(uri, rng, version, instruction=instruction),
                      diagnostics=diagnostics, preferred=True)


def resolve(data: Any) -> ActionSpec | None:
    """Rebuild an action from its `data` (codeAction/resolve); None if the data is not ours."""
    if not isinstance(data, dict) or data.get("action") not in COMMANDS:
        return None
    try:
        args = CommandArgs.parse([data.get("args")])
    except BadArguments:
        return None
    return ActionSpec("", data["action"], args)
