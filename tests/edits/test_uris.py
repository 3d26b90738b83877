"""`file:` URIs in model output and in the protocol, decoded by pygls' rules, never by hand."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from cadre_lsp.edits import PathRefused, resolve_path, same_file
from cadre_lsp.edits.paths import uri_to_path


@pytest.mark.parametrize(("uri", "path"), [
    ("file:///tmp/a%20b.py", "/tmp/a b.py"),
    ("file:///tmp/caf%C3%A9.py", "/tmp/café.py"),
    ("file:///tmp/a;b.py", "/tmp/a;b.py"),
    ("file:///tmp/a%3Bb%23c.py", "/tmp/a;b#c.py"),
    ("file://localhost/tmp/x.py", "/tmp/x.py"),
    ("FILE:///tmp/x.py", "/tmp/x.py"),
])
def test_posix_uris(uri: str, path: str) -> None:
    assert uri_to_path(uri) == path


@pytest.mark.parametrize("uri", ["file:///c%3A/x", "file:///C:/x/y.py", "file://server/share/x.py"])
def test_windows_paths_are_refused_on_posix_not_turned_into_slash_c(uri: str) -> None:
    with pytest.raises(PathRefused, match="Windows path"):
        uri_to_path(uri)


def test_the_drive_letter_is_decoded_by_pygls(monkeypatch: pytest.MonkeyPatch) -> None:
    import pygls

    monkeypatch.setattr(pygls, "IS_WIN", True)
    assert uri_to_path("file:///c%3A/x").lower() in ("c:/x", "c:\\x")


def test_a_uri_inside_the_workspace_resolves_like_its_path(tmp_path: Path) -> None:
    (tmp_path / "sub dir").mkdir()
    target = tmp_path / "sub dir" / "é x.py"
    target.write_text("x = 1\n")
    uri = "file://" + quote(str(target))
    assert resolve_path(tmp_path, uri) == target.resolve()
    assert same_file(uri, str(target), tmp_path)


def test_a_uri_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PathRefused, match="outside the workspace"):
        resolve_path(tmp_path / "ws", "file:///etc/passwd")
