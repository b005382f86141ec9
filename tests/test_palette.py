"""The map palette: colours that can appear together differ visibly (CIEDE2000, issue 11 item 11).

ΔE00 ≈ 1 is a just-noticeable difference between large patches; markers a few pixels wide
need far more.  The thresholds below are what the maps are held to:

- categorical classes (amenity categories, areas, sites, context) >= 15 from each other and
  from every community class;
- the communities' ordered completeness classes (read with the legend, neighbours in one
  ramp) >= 8 apart for up to six required categories and >= 6 for the whole catalogue.
"""

from __future__ import annotations

import itertools

import pytest

from gisplan.catalogue import default_standard
from gisplan.maps import palette as P

coloraide = pytest.importorskip("coloraide")


def delta_e(a: str, b: str) -> float:
    return coloraide.Color(a).delta_e(b, method="2000")


def closest(colours: dict[str, str]) -> tuple[float, str, str]:
    return min(
        (delta_e(a, b), x, y) for (x, a), (y, b) in itertools.combinations(colours.items(), 2)
    )


def test_every_catalogue_category_has_its_own_colour():
    ids = default_standard().ids
    assert set(ids) <= set(P.AMENITY_COLORS)
    d, x, y = closest({c: P.amenity_color(c) for c in ids})
    assert d >= 15, (x, y, d)


@pytest.mark.parametrize("n", range(1, len(default_standard().ids) + 1))
def test_completeness_classes_are_distinct_and_apart_from_everything_beside_them(n):
    ramp = P.completeness_colors(n)
    assert len(ramp) == n + 1 and len(set(ramp)) == n + 1
    classes = {f"{k}/{n}": c for k, c in enumerate(ramp)}
    d, x, y = closest(classes)
    assert d >= (8 if n <= 6 else 6), (n, x, y, d)
    # amenities of every category, the areas, the site symbols and the context layers
    beside = {
        **{f"amenity {c}": col for c, col in P.AMENITY_COLORS.items()},
        "service area": P.SERVICE_AREA_COLOR,
        "what-if": P.WHATIF_COLOR,
        "chosen site": P.SITE_STYLES["chosen"][0],
        "water": P.WATER_COLOR,
    }
    worst = min((delta_e(a, b), x, y) for x, a in classes.items() for y, b in beside.items())
    assert worst[0] >= 15, worst


def test_minutes_classes_areas_sites_and_context_do_not_collide():
    together = {
        **{f"minutes {k}": c for k, c in enumerate(P.MINUTES_COLORS)},
        **{f"amenity {c}": col for c, col in P.AMENITY_COLORS.items()},
        "service area": P.SERVICE_AREA_COLOR,
        "what-if": P.WHATIF_COLOR,
        "chosen site": P.SITE_STYLES["chosen"][0],
        "water": P.WATER_COLOR,
        "network": P.NETWORK_COLOR,
    }
    d, x, y = closest(together)
    assert d >= 12, (x, y, d)
    # the collisions are gone
    assert delta_e(P.completeness_colors(6)[-1], P.amenity_color("pharmacy")) >= 15
    assert len(set(P.completeness_colors(6))) == 7  # 1/6 and 2/6 no longer share an orange
    assert delta_e(P.amenity_color("wet_market"), P.amenity_color("recycling")) >= 15
    assert delta_e(P.SERVICE_AREA_COLOR, P.WATER_COLOR) >= 15
    assert P.WHATIF_COLOR not in P.MINUTES_COLORS


def test_sites_are_diamonds_in_colours_no_class_uses():
    fills = {f for f, _ in P.SITE_STYLES.values()}
    used = set(P.AMENITY_COLORS.values()) | set(P.MINUTES_COLORS)
    for n in range(1, 12):
        used |= set(P.completeness_colors(n))
    assert not fills & used
