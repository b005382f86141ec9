"""The one atomic writer module (gisplan.io.atomic): a file, a set of files, a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from gisplan.io.atomic import atomic_folder, atomic_path, atomic_paths, atomic_write_text


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_path_replaces_on_success_and_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "a.csv"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.suffix == ".csv" and tmp.parent == tmp_path
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("writer failed")
    assert target.read_text(encoding="utf-8") == "old"
    assert _names(tmp_path) == ["a.csv"]
    atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"


def test_atomic_paths_renames_all_or_none(tmp_path):
    targets = {"a": tmp_path / "a.txt", "b": tmp_path / "b.txt"}
    targets["a"].write_text("old a", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_paths(targets) as tmp:
        tmp["a"].write_text("new a", encoding="utf-8")
        raise RuntimeError("second file failed")
    assert _names(tmp_path) == ["a.txt"]
    assert targets["a"].read_text(encoding="utf-8") == "old a"
    with atomic_paths(targets) as tmp:
        for key, path in tmp.items():
            path.write_text(f"new {key}", encoding="utf-8")
    assert [targets[k].read_text(encoding="utf-8") for k in "ab"] == ["new a", "new b"]
    assert _names(tmp_path) == ["a.txt", "b.txt"]


def test_atomic_folder_renames_a_complete_folder(tmp_path):
    target = tmp_path / "cache" / "entry"
    with atomic_folder(target, complete_marker="meta.json") as tmp:
        assert tmp.parent == target.parent and tmp != target
        (tmp / "data.bin").write_bytes(b"123")
        (tmp / "meta.json").write_text("{}", encoding="utf-8")
    assert _names(target) == ["data.bin", "meta.json"]
    assert _names(target.parent) == ["entry"]  # no temporary folder left


def test_atomic_folder_keeps_an_entry_another_writer_finished_first(tmp_path):
    target = tmp_path / "entry"
    target.mkdir()
    (target / "meta.json").write_text("theirs", encoding="utf-8")
    with atomic_folder(target, complete_marker="meta.json") as tmp:
        (tmp / "meta.json").write_text("mine", encoding="utf-8")
    assert (target / "meta.json").read_text(encoding="utf-8") == "theirs"
    assert _names(tmp_path) == ["entry"]


def test_atomic_folder_refuses_to_hide_a_foreign_folder(tmp_path):
    """A non-empty folder without the marker is not another writer's entry: an error."""
    target = tmp_path / "entry"
    target.mkdir()
    (target / "other.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OSError), atomic_folder(target, complete_marker="meta.json") as tmp:
        (tmp / "meta.json").write_text("mine", encoding="utf-8")
    assert _names(target) == ["other.txt"]
    assert _names(tmp_path) == ["entry"]


def test_atomic_folder_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "entry"
    with pytest.raises(RuntimeError), atomic_folder(target, complete_marker="meta.json") as tmp:
        (tmp / "data.bin").write_bytes(b"1")
        raise RuntimeError("writer failed")
    assert _names(tmp_path) == []
