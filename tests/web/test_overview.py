"""The overview's layout without a browser: sites placed north-up and east-right inside the map,
a round scale bar whose length matches the projection, and the headline figures."""

from __future__ import annotations

import math

import pytest

from clusterhub.errors import Conflict
from clusterhub.web.overview import MAP_HEIGHT, MAP_WIDTH, _nice_km, example_overview, saving


def test_harbour_sites_sit_inside_the_map_north_up_and_to_scale() -> None:
    view = example_overview("harbour")
    sites = {s["id"]: s for s in view["sites"]}
    assert view["figures"] == {"members": 8, "sites": 6, "connections": 2, "links": 2,
                               "exchanges": 0}  # fmt: skip
    assert all(0 <= s["x"] <= MAP_WIDTH and 0 <= s["y"] <= MAP_HEIGHT for s in sites.values())
    west, east = sites["maasvlakte-terminal"], sites["rijnmond-refinery"]  # lon 4.028 < 4.335
    assert west["x"] < east["x"]
    assert west["y"] < east["y"]  # 51.962 N is north of 51.879 N: higher on the map
    # the scale bar: pixels per km equal the distance between two sites on the map
    km_east = (east["longitude"] - west["longitude"]) * 111.320 * math.cos(math.radians(51.9205))
    px_per_km = view["map"]["scale_px"] / view["map"]["scale_km"]
    assert east["x"] - west["x"] == pytest.approx(km_east * px_per_km, rel=0.01)
    assert view["map"]["scale_km"] == 5.0


@pytest.mark.parametrize(
    ("wanted", "nice"), [(0.7, 0.5), (3.9, 2.0), (7.5, 5.0), (10, 10), (140, 100)]
)
def test_the_scale_bar_has_a_round_length(wanted: float, nice: float) -> None:
    assert _nice_km(wanted) == pytest.approx(nice)


def test_a_cluster_without_a_shared_connection_has_no_saving_to_compute() -> None:
    with pytest.raises(Conflict, match="kalundborg has no shared grid connection"):
        saving("kalundborg", 24)


def test_far_off_sites_get_the_core_its_own_inset_map() -> None:
    """Kwinana's members sit within a few km of each other, except a nickel smelter 550 km
    inland and a rutile plant 80 km north: the main map must show those, and an inset the rest."""
    view = example_overview("kwinana")
    inset = view["inset"]
    assert inset is not None
    inside = {s["id"] for s in inset["sites"]}
    sites = {s["id"]: s for s in view["sites"]}
    far = [s for s in sites.values() if s["id"] not in inside]
    assert 1 <= len(far) <= 6
    assert len(inside) >= 50
    # the inset's sites fill its frame, to scale, north up and east right
    assert all(0 <= s["x"] <= inset["width"] and 0 <= s["y"] <= inset["height"]
               for s in inset["sites"])  # fmt: skip
    main_px_per_km = view["map"]["scale_px"] / view["map"]["scale_km"]
    inset_px_per_km = inset["scale_px"] / inset["scale_km"]
    assert inset_px_per_km >= 4 * main_px_per_km
    for a, b in [(inset["sites"][0], inset["sites"][-1])]:
        dx_main = sites[b["id"]]["x"] - sites[a["id"]]["x"]
        dx_inset = b["x"] - a["x"]
        assert dx_inset == pytest.approx(dx_main * inset_px_per_km / main_px_per_km, abs=1.0)
    # the outlined box on the main map holds every core site and no far one
    x, y, w, h = inset["box"]
    for s in sites.values():
        within = x - 1 <= s["x"] <= x + w + 1 and y - 1 <= s["y"] <= y + h + 1
        assert within == (s["id"] in inside), s["id"]
    assert [s["number"] for s in view["sites"]] == list(range(1, len(sites) + 1))


def test_a_compact_cluster_needs_no_inset() -> None:
    assert example_overview("harbour")["inset"] is None
