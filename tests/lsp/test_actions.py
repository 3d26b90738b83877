"""Code action listing and the command argument object (pure, no server)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from cadre_lsp.lsp.actions import (
    MAX_LIGHT_BULB,
    BadArguments,
    CommandArgs,
    kind_allowed,
    list_actions,
    resolve,
)

RNG = types.Range(start=types.Position(line=1, character=0), end=types.Position(line=2, character=0))


def titles(only=None, **kw):
    return [a.title for a in list_actions("file:///a.py", RNG, 7, patterns=["primary", "validated"],
                                          default_patterns={"fix": "validated"}, only=only, **kw)]


def test_the_light_bulb_lists_one_entry_per_action_on_its_configured_pattern():
    assert titles() == ["cadre: Explain", "cadre: Implement", "cadre: Fix (validated)", "cadre: Review"]


def test_a_client_with_a_picker_gets_one_with_pattern_entry_within_five():
    specs = list_actions("file:///a.py", RNG, 7, patterns=["primary", "validated"],
                         default_patterns={"fix": "validated"}, only=None, picker=True)
    assert [s.title for s in specs][-1] == "cadre: With pattern…" and len(specs) == MAX_LIGHT_BULB
    action = specs[-1].to_lsp()
    assert action.kind == "refactor.cadre.pattern" and action.command.command == "cadre.runWithPattern"
    (arg,) = action.command.arguments
    assert arg["uri"] == "file:///a.py" and arg["version"] == 7 and arg["patterns"] == ["primary", "validated"]
    assert arg["defaults"]["fix"] == "validated" and arg["actions"] == ["explain", "implement", "fix", "review"]
    # A finding's quick fix is already the fifth entry: the picker stays out of the light bulb.
    assert "cadre: With pattern…" not in titles(picker=True, others=1)
    assert titles(["quickfix"], picker=True) == ["cadre: Fix (validated)"]


def test_variants_when_only_asks_for_source_cadre_or_the_setting_is_on():
    assert titles(["source.cadre"]) == ["cadre: Explain with validated", "cadre: Implement with validated",
                                        "cadre: Fix with primary", "cadre: Review with validated"]
    assert titles(["source.cadre.fix"]) == ["cadre: Fix with primary"]
    assert titles(["source"]) == []  # VS Code's Source Action menu: not asked for by name
    kinds = [s.kind for s in list_actions("file:///a.py", RNG, 7, patterns=["primary", "validated"],
                                          default_patterns={}, only=["source.cadre"])]
    assert kinds == ["source.cadre.explain", "source.cadre.implement", "source.cadre.fix", "source.cadre.review"]
    shown = titles(show_patterns=True)
    assert shown[:4] == ["cadre: Explain", "cadre: Implement", "cadre: Fix (validated)", "cadre: Review"]
    assert shown[4:] == ["cadre: Explain with validated", "cadre: Implement with validated",
                         "cadre: Fix with primary", "cadre: Review with validated"]
    assert titles(["quickfix"], show_patterns=True) == ["cadre: Fix (validated)", "cadre: Fix with primary"]
    variant = list_actions("file:///a.py", RNG, 7, patterns=["primary", "validated"], default_patterns={},
                           only=["source.cadre.fix"])[0].to_lsp()
    assert variant.command.arguments[0]["pattern"] == "validated"
    assert resolve(variant.data).command().arguments == variant.command.arguments


def test_only_filters_by_kind_prefix():
    assert titles(["quickfix"]) == ["cadre: Fix (validated)"]
    assert "cadre: Fix (validated)" not in titles(["refactor"]) and "cadre: Implement" in titles(["refactor"])
    assert titles(["refactor.rewrite"]) == ["cadre: Implement"]
    assert kind_allowed("refactor.cadre.explain", ["refactor"]) and not kind_allowed("refactorx", ["refactor"])


def test_each_action_carries_command_and_data_with_the_version():
    spec = list_actions("file:///a.py", RNG, 7, patterns=[], default_patterns={}, only=None)[2]
    action = spec.to_lsp()
    assert action.kind == "quickfix.cadre"
    assert action.command.command == "cadre.fix"
    (arg,) = action.command.arguments
    assert arg == {"uri": "file:///a.py", "range": {"start": {"line": 1, "character": 0},
                                                    "end": {"line": 2, "character": 0}}, "version": 7}
    assert resolve(action.data).command().arguments == [arg]
    assert resolve({"action": "rm -rf"}) is None


@pytest.mark.parametrize("bad", [[], [1], [{"uri": "x"}], [{"uri": "x", "range": {"start": {}}}],
                                 [{"uri": "x", "range": RNG and {"start": {"line": 0, "character": 0},
                                                                 "end": {"line": 0, "character": 0}},
                                   "version": "7"}]])
def test_bad_arguments_are_refused_with_a_reason(bad):
    with pytest.raises(BadArguments):
        CommandArgs.parse(bad)
