"""Code action listing and the command argument object (pure, no server)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from cadre_lsp.lsp.actions import BadArguments, CommandArgs, kind_allowed, list_actions, resolve

RNG = types.Range(start=types.Position(line=1, character=0), end=types.Position(line=2, character=0))


def titles(only=None):
    return [a.title for a in list_actions("file:///a.py", RNG, 7, patterns=["primary", "validated"],
                                          default_patterns={"fix": "validated"}, only=only)]


def test_four_actions_then_pattern_variants_without_the_default():
    assert titles() == ["cadre: Explain", "cadre: Implement", "cadre: Fix", "cadre: Review",
                        "cadre: Explain with validated", "cadre: Implement with validated",
                        "cadre: Fix with primary", "cadre: Review with validated"]


def test_only_filters_by_kind_prefix():
    assert titles(["quickfix"]) == ["cadre: Fix", "cadre: Fix with primary"]
    assert "cadre: Fix" not in titles(["refactor"]) and "cadre: Implement" in titles(["refactor"])
    assert titles(["refactor.rewrite"]) == ["cadre: Implement", "cadre: Implement with validated"]
    assert titles(["source"]) == []
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
