"""The document mirror applies LSP changes by LSP's line rules and keeps the parsed store in step."""

from __future__ import annotations

from typing import Any

from cadre_lsp.lsp.open_documents import OpenDocuments


class FakeStore:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail = fail

    def open(self, uri, text, language=None, version=None):
        self.calls.append(("open", text))

    def apply_changes(self, uri, changes, version=None):
        if self.fail:
            raise RuntimeError("parser exploded")
        self.calls.append(("changes", list(changes)))

    def replace(self, uri, text, version=None):
        self.calls.append(("replace", text))

    def close(self, uri):
        self.calls.append(("close", uri))


def test_incremental_changes_in_one_notification_apply_in_order():
    store = FakeStore()
    docs = OpenDocuments(store, "utf-16")
    docs.open("u", "one\ntwo\nthree\n", 1, "python")
    applied = docs.change("u", 2, [((1, 0, 1, 3), "TWO"), ((0, 3, 1, 0), " ")])
    assert docs.get("u").text == "one TWO\nthree\n"
    assert docs.get("u").version == 2
    assert applied == [(4, 7, "TWO"), (3, 4, " ")]
    assert store.calls[-1] == ("changes", applied)


def test_form_feed_is_not_a_line_break():
    # str.splitlines() breaks at \x0c; LSP does not, so line 1 is "b" here, not "\x0c".
    docs = OpenDocuments(None, "utf-16")
    docs.open("u", "a\x0c\nb\n", 1, None)
    docs.change("u", 2, [((1, 0, 1, 1), "B")])
    assert docs.get("u").text == "a\x0c\nB\n"


def test_utf8_client_columns():
    docs = OpenDocuments(None, "utf-8")
    docs.open("u", 'x = "👋é"\n', 1, None)
    docs.change("u", 2, [((0, 9, 0, 11), "e")])  # the é is bytes 9-11
    assert docs.get("u").text == 'x = "👋e"\n'


def test_full_sync_and_close():
    store = FakeStore()
    docs = OpenDocuments(store)
    docs.open("u", "old", 1, None)
    docs.change("u", 2, [(None, "new text")])
    assert docs.get("u").text == "new text"
    docs.close("u")
    assert docs.get("u") is None and store.calls[-1] == ("close", "u")


def test_store_failure_resyncs_with_full_text():
    store = FakeStore(fail=True)
    docs = OpenDocuments(store)
    docs.open("u", "abc", 1, None)
    docs.change("u", 2, [((0, 1, 0, 2), "X")])
    assert docs.get("u").text == "aXc"
    assert store.calls[-1] == ("open", "aXc")


def test_change_for_unknown_document_is_ignored():
    docs = OpenDocuments()
    assert docs.change("nope", 1, [(None, "x")]) == []
