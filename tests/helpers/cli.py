"""CLI test set-up shared by the ``gisplan site`` / ``closure`` tests: short thresholds and a
small demonstration city in place of the embedded one.
"""

from __future__ import annotations

import pytest

import gisplan.analysis as analysis
from gisplan.crs import WGS84
from tests.helpers.cities import small_city

#: Thresholds short enough that the small city has gaps to fill (minutes).
SHORT = [
    "--threshold",
    "convenience_store=3",
    "--threshold",
    "wet_market=4",
    "--threshold",
    "supermarket=6",
]


@pytest.fixture
def small_demo(monkeypatch):
    """Replace the embedded demonstration data by a small synthetic city (fast)."""
    counts = {"convenience_store": 8, "wet_market": 3, "supermarket": 3}
    net, comm, amen, _ = small_city(3, n_comm=70, amen_counts=counts)
    ds = analysis.Dataset(
        network=net,
        communities=comm.to_crs(WGS84),
        amenities=amen.to_crs(WGS84),
        name="test city",
        synthetic=True,
    )
    monkeypatch.setattr(analysis, "demo_dataset", lambda *a, **k: ds)
    return ds
