"""Uploaded prepared datasets: per-planner and server quotas, clean-up (issue 10).

The store does not read the files (the upload worker has checked them before): the tests
keep small byte strings and count sizes in bytes against quotas in megabytes.
"""

from __future__ import annotations

import hashlib

import pytest

from gisplan.dataset.uploads import DatasetQuota, QuotaError, UploadedDatasets
from gisplan.errors import InputError
from gisplan.settings import (
    ENV_DATASET_QUOTA_TOTAL_MB,
    ENV_DATASET_QUOTA_USER_COUNT,
    ENV_DATASET_QUOTA_USER_MB,
    SETTINGS,
)

MB = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def hours(self, h: float) -> None:
        self.now += h * 3600


def blob(tag: str, size: int = 1000) -> tuple[bytes, str]:
    data = tag.encode() + b"\0" * (size - len(tag.encode()))
    return data, hashlib.sha256(data).hexdigest()


def store(tmp_path, clock, **quota) -> UploadedDatasets:
    return UploadedDatasets(tmp_path / "uploads", DatasetQuota(**quota), clock=clock)


def kept(s: UploadedDatasets) -> set[str]:
    return {p.stem for p in s.folder.glob("*.gpkg")}


def test_a_planners_least_recently_used_dataset_makes_room(tmp_path):
    clock = Clock()
    s = store(tmp_path, clock, user_count=2)
    (a, ha), (b, hb), (c, hc) = blob("a"), blob("b"), blob("c")
    s.add(a, ha, "城市 A", "li")
    clock.hours(1)
    s.add(b, hb, "城市 B", "li")
    clock.hours(1)
    assert s.touch(ha, "li")  # A used again: B is now the least recently used
    clock.hours(1)
    path, removed = s.add(c, hc, "城市 C", "li")
    assert removed == ["城市 B"]
    assert kept(s) == {ha, hc} and path.read_bytes() == c
    assert [e.name for e in s.owned("li")] == ["城市 C", "城市 A"]
    assert not s.touch(hb, "li")  # gone


def test_a_planners_size_quota_removes_as_many_as_needed(tmp_path):
    clock = Clock()
    s = store(tmp_path, clock, user_count=10, user_mb=0.0025)  # 2,500 bytes
    (a, ha), (b, hb), (c, hc) = blob("a"), blob("b"), blob("c", 2000)
    s.add(a, ha, "A", "li")
    clock.hours(1)
    s.add(b, hb, "B", "li")
    clock.hours(1)
    _path, removed = s.add(c, hc, "C", "li")  # 2,000 + 1,000 > 2,500: both older ones go
    assert removed == ["A", "B"] and kept(s) == {hc}


def test_a_file_over_the_quota_is_refused_and_nothing_changes(tmp_path):
    clock = Clock()
    s = store(tmp_path, clock, user_mb=0.002)
    a, ha = blob("a")
    s.add(a, ha, "A", "li")
    big, hbig = blob("big", 3000)
    with pytest.raises(QuotaError) as err:
        s.add(big, hbig, "全市", "li")
    msg = str(err.value)
    assert "全市" in msg and "3.0 MB" not in msg and "0.002 MB" in msg
    assert ENV_DATASET_QUOTA_USER_MB in msg and "--clip" in msg
    assert isinstance(err.value, InputError)
    assert kept(s) == {ha}


def test_the_server_quota_removes_only_idle_datasets_or_refuses(tmp_path):
    clock = Clock()
    s = store(tmp_path, clock, total_count=2, idle_hours=24)
    (a, ha), (b, hb), (c, hc) = blob("a"), blob("b"), blob("c")
    s.add(a, ha, "A", "li")
    clock.hours(1)
    s.add(b, hb, "B", "wang")
    clock.hours(1)
    with pytest.raises(QuotaError) as err:  # both used within the last 24 h
        s.add(c, hc, "C", "zhao")
    msg = str(err.value)
    assert "full" in msg and "2 datasets" in msg and ENV_DATASET_QUOTA_TOTAL_MB in msg
    assert kept(s) == {ha, hb}
    clock.hours(23)  # A idle for 24 h, B for 23 h
    _p, removed = s.add(c, hc, "C", "zhao")
    assert removed == ["A"] and kept(s) == {hb, hc}
    assert s.usage() == (2, 2000)


def test_the_server_size_quota(tmp_path):
    clock = Clock()
    s = store(tmp_path, clock, total_mb=0.0025, idle_hours=1)
    (a, ha), (b, hb), (c, hc) = blob("a"), blob("b"), blob("c")
    s.add(a, ha, "A", "li")
    s.add(b, hb, "B", "wang")
    clock.hours(2)
    s.touch(hb, "wang")
    _p, removed = s.add(c, hc, "C", "zhao")  # 3,000 > 2,500: the idle A goes, B stays
    assert removed == ["A"] and kept(s) == {hb, hc}


def test_unused_datasets_expire_and_shared_files_stay_while_owned(tmp_path, monkeypatch):
    monkeypatch.setenv("GISPLAN_CACHE_DIR", str(tmp_path / "cache"))
    from gisplan.catalogue import default_standard
    from gisplan.dataset.model_cache import entry_path, model_key

    clock = Clock()
    s = store(tmp_path, clock, user_count=1, keep_days=30)
    (a, ha), (b, hb), (c, hc) = blob("a"), blob("b"), blob("c")
    s.add(a, ha, "A", "li")
    s.add(a, ha, "A", "wang")  # the same file for two planners: stored once
    assert kept(s) == {ha} and s.usage() == (1, 1000)
    std = default_standard()
    model_dir = entry_path(model_key(ha, list(std.ids), std.max_snap_distance_m))
    model_dir.mkdir(parents=True)
    (model_dir / "meta.json").write_text("{}")
    _p, removed = s.add(b, hb, "B", "li")  # li's quota of one: li's claim on A goes ...
    assert removed == ["A"] and kept(s) == {ha, hb}  # ... but wang still has it
    assert model_dir.exists()
    clock.hours(31 * 24)
    _p, removed = s.add(c, hc, "C", "zhao")  # A and B unused for 31 days
    assert sorted(removed) == ["A", "B"] and kept(s) == {hc}
    assert not model_dir.exists()  # its model-cache entry went with the last copy


def test_quota_settings_are_listed_and_read_from_the_environment():
    names = {s.name: s for s in SETTINGS}
    for var in (ENV_DATASET_QUOTA_USER_COUNT, ENV_DATASET_QUOTA_USER_MB):
        assert var in names and names[var].unit and names[var].default
    q = DatasetQuota.from_env({ENV_DATASET_QUOTA_USER_COUNT: "3", ENV_DATASET_QUOTA_USER_MB: "80"})
    assert q.user_count == 3 and q.user_mb == 80.0 and q.total_count == DatasetQuota().total_count
    assert str(DatasetQuota().user_mb) == names[ENV_DATASET_QUOTA_USER_MB].default + ".0"
    for bad in ("0", "-1", "many", "inf"):
        with pytest.raises(InputError, match=ENV_DATASET_QUOTA_USER_MB):
            DatasetQuota.from_env({ENV_DATASET_QUOTA_USER_MB: bad})


def test_a_bad_hash_is_refused(tmp_path):
    s = store(tmp_path, Clock())
    with pytest.raises(InputError, match="content hash"):
        s.add(b"x", "../../etc/passwd", "x", "li")
