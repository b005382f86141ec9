"""Plot the synthetic 三江口 city to a PNG for a visual check (not part of the package).

Usage: python scripts/plot_synthetic.py [out.png] [seed]   (needs matplotlib)
"""

from __future__ import annotations

import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gisplan.crs import METRIC_CRS  # noqa: E402
from gisplan.synthetic import generate_city  # noqa: E402


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "synthetic.png"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 2025
    t0 = time.perf_counter()
    city = generate_city(seed)
    print(f"generate_city: {time.perf_counter() - t0:.2f} s")
    fig, ax = plt.subplots(figsize=(14, 14))
    city.rivers.to_crs(METRIC_CRS).plot(ax=ax, color="#9ecae1")
    colours = {"local": "#999999", "arterial": "#444444", "riverside": "#777777", "bridge": "red"}
    widths = {"local": 0.5, "arterial": 1.4, "riverside": 0.8, "bridge": 2.0}
    for kind, grp in city.edges.groupby("kind"):
        grp.plot(ax=ax, color=colours[kind], linewidth=widths[kind])
    com = city.communities.to_crs(METRIC_CRS)
    com.plot(ax=ax, markersize=com.population / 150, color="#2ca25f", alpha=0.6)
    am = city.amenities.to_crs(METRIC_CRS)
    marks = {
        "convenience_store": ("o", "orange", 6),
        "wet_market": ("s", "purple", 40),
        "supermarket": ("^", "blue", 40),
        "recycling": ("x", "black", 30),
    }
    for cat, (m, c, s) in marks.items():
        am[am.category == cat].plot(ax=ax, marker=m, color=c, markersize=s, label=cat)
    ax.legend(loc="upper left")
    ax.set_aspect("equal")
    fig.savefig(out, dpi=90, bbox_inches="tight")


if __name__ == "__main__":
    main()
