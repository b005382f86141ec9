"""Disk cache of the synthetic city: same layers as the generator, keyed, self-healing."""

from __future__ import annotations

from dataclasses import fields

from geopandas.testing import assert_geodataframe_equal

from gisplan import cache
from gisplan.synthetic import SyntheticCity, generate_city


def _assert_same(a: SyntheticCity, b: SyntheticCity) -> None:
    for f in fields(SyntheticCity):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "bounds_wgs84":
            assert tuple(x) == tuple(y)
        else:
            assert_geodataframe_equal(x, y, check_less_precise=False)
            assert x.crs == y.crs


def test_cached_city_equals_the_generator_and_is_read_back(tmp_path, monkeypatch):
    fresh = generate_city(2025)
    first = cache.cached_city(2025, directory=tmp_path)
    _assert_same(fresh, first)
    entries = list(tmp_path.iterdir())
    assert [p.name for p in entries] == [f"synthetic-{cache.synthetic_key(2025)}"]  # no temp left

    def boom(seed):  # a second call must not generate again
        raise AssertionError("generated although cached")

    monkeypatch.setattr(cache, "generate_city", boom)
    _assert_same(fresh, cache.cached_city(2025, directory=tmp_path))


def test_key_depends_on_seed_and_generator_source(monkeypatch, tmp_path):
    assert cache.synthetic_key(1) != cache.synthetic_key(2)
    assert cache.synthetic_key(1) == cache.synthetic_key(1)
    src = tmp_path / "pkg"
    src.mkdir()
    for pattern in cache._SOURCES:
        for path in cache._PACKAGE.glob(pattern):
            target = src / path.relative_to(cache._PACKAGE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    monkeypatch.setattr(cache, "_PACKAGE", src)
    same = cache.synthetic_key(1)
    streets = src / "synthetic" / "streets.py"
    streets.write_bytes(streets.read_bytes() + b"\n# changed\n")
    assert cache.synthetic_key(1) != same


def test_damaged_entry_is_regenerated(tmp_path):
    cache.cached_city(7, directory=tmp_path)
    entry = tmp_path / f"synthetic-{cache.synthetic_key(7)}"
    (entry / "edges.parquet").write_bytes(b"not parquet")
    again = cache.cached_city(7, directory=tmp_path)
    _assert_same(generate_city(7), again)
    _assert_same(again, cache.cached_city(7, directory=tmp_path))  # rewritten, readable


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
