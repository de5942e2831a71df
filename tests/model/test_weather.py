"""Measured weather from EPW and TMY3 files: PV, wind and a heat pump's COP from one year, laid
on the horizon by calendar hour, every bad file refused naming the field and what is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from weather_files import HOURS, epw, tmy3

from clusterhub.energy import compare
from clusterhub.errors import InputError
from clusterhub.model import Cluster, dumps, loads, read_cluster, write_cluster
from clusterhub.model.io import series_files

CLUSTER = """\
name: Weather
location: {{latitude: 51.95, longitude: 4.45}}
timezone: Europe/Amsterdam
horizon: {{start: "2024-06-20T00:00:00+00:00", resolution: 1h, periods: 72}}
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: 50, export_price_eur_per_unit: 30}}
  - {{id: heat, kind: heat, temperature_c: 55}}
participants:
  - id: a
    name: A
    nace: C10.51
    sites: [{{id: a-site, latitude: 51.95, longitude: 4.45, connection: grid}}]
    assets:
      - {{type: generator, id: pv, site: a-site, technology: pv, capacity_mw: 10,
         availability: {{generator: pv, weather: {{file: {name}, format: {fmt}}}}}}}
      - {{type: generator, id: wind, site: a-site, technology: wind, capacity_mw: 10,
         availability: {{generator: wind, hub_height_m: 100,
                         weather: {{file: {name}, format: {fmt}}}}}}}
      - {{type: demand, id: heat-load, site: a-site, carrier: heat, profile_mw: 3}}
      - {{type: converter, id: heat-pump, site: a-site, technology: heat_pump, capacity_mw: 5,
         inputs: {{electricity: 1}},
         outputs: {{heat: {{generator: cop, sink_celsius: 55,
                            weather: {{file: {name}, format: {fmt}}}}}}}}}
  - {{id: grid-co, name: Grid Co, kind: grid_operator}}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 20
    export_limit_mw: 20
    contracts: [{{participant: a, import_mw: 20, export_mw: 20}}]
"""

#: 21 June 12:00-13:00 in the file's own time: the one hour with sunshine in the test years
NOON = int(np.flatnonzero((HOURS.month == 6) & (HOURS.day == 21) & (HOURS.hour == 12))[0])


def _sunny_hour(value: float) -> np.ndarray:
    out = np.zeros(8760)
    out[NOON] = value
    return out


def _load(tmp_path: Path, text: str, fmt: str = "epw", name: str = "year.epw") -> Cluster:
    (tmp_path / name).write_text(text)
    path = tmp_path / "cluster.yaml"
    path.write_text(CLUSTER.format(name=name, fmt=fmt))
    return read_cluster(path)


def _profile(cluster: Cluster, asset: str) -> np.ndarray:
    found = next(a for _, a in cluster.iter_assets() if a.id == asset)
    series = found.availability if asset != "heat-pump" else found.outputs["heat"]  # type: ignore[union-attr]
    return np.asarray(cluster.values(series))


def test_wind_and_cop_follow_the_file(tmp_path: Path) -> None:
    """5 m/s at the station's 10 m is 5 * 10^(1/7) = 6.95 m/s at 100 m; through the power curve
    (cut-in 3, rated 12 m/s, cubic between) 0.181 of rated output in every hour."""
    temperature = 5.0 + (HOURS.hour.to_numpy() % 4)  # 5, 6, 7, 8 degC in turn
    cluster = _load(tmp_path, epw(temp_air=temperature, wind_speed=5.0))
    hub = 5.0 * 10 ** (1 / 7)
    np.testing.assert_allclose(_profile(cluster, "wind"), (hub**3 - 27) / (1728 - 27), rtol=1e-9)
    # COP: 0.45 x 328.15 K / (55 - T) K, the file's hour by hour (the horizon starts at 00:00 UTC)
    expected = 0.45 * 328.15 / (55.0 - (5.0 + np.arange(72) % 4))
    np.testing.assert_allclose(_profile(cluster, "heat-pump"), expected, rtol=1e-9)


@pytest.mark.parametrize("writer", [epw, tmy3])
def test_the_files_hours_land_on_the_same_calendar_hour(tmp_path: Path, writer: object) -> None:
    """Sun only from 12:00 to 13:00 on 21 June: PV only in that hour of the 2024 horizon, read
    from EPW (labels the hour's start) and TMY3 (labels its end) alike; an hour later for a
    file in UTC+1 (12:00 there is 11:00 UTC)."""
    fmt = "epw" if writer is epw else "tmy3"
    sun = {"ghi": _sunny_hour(800.0), "dni": _sunny_hour(700.0), "dhi": _sunny_hour(150.0)}
    cluster = _load(tmp_path, writer(**sun), fmt=fmt, name=f"year.{fmt}")  # type: ignore[operator]
    pv = _profile(cluster, "pv")
    assert list(np.flatnonzero(pv > 0)) == [24 + 12]
    assert 0.5 < pv[36] < 1.0
    shifted = _load(tmp_path, writer(**sun, tz=1.0), fmt=fmt, name=f"east.{fmt}")  # type: ignore[operator]
    assert list(np.flatnonzero(_profile(shifted, "pv") > 0)) == [24 + 11]


def test_hot_air_lowers_the_pv_output(tmp_path: Path) -> None:
    sun = {"ghi": _sunny_hour(800.0), "dni": _sunny_hour(700.0), "dhi": _sunny_hour(150.0)}
    cold = _profile(_load(tmp_path, epw(**sun, temp_air=0.0), name="cold.epw"), "pv")[36]
    hot = _profile(_load(tmp_path, epw(**sun, temp_air=35.0), name="hot.epw"), "pv")[36]
    # PVWatts: -0.4 %/K on the cell, which is 35 K warmer at equal sun and wind: whatever its
    # temperature (0-40 degC when cold), (1 - 0.004 (Tc + 10)) / (1 - 0.004 (Tc - 25))
    assert 0.85 < hot / cold < 0.88


def test_a_weather_year_runs_the_dispatch_and_round_trips(tmp_path: Path) -> None:
    sun = {"ghi": _sunny_hour(800.0), "dni": _sunny_hour(700.0), "dhi": _sunny_hour(150.0)}
    cluster = _load(tmp_path, epw(**sun, temp_air=10.0, wind_speed=6.0))
    result = compare(cluster)
    assert np.isfinite(result.joint.total_cost_eur)
    out = tmp_path / "copy" / "cluster.yaml"
    write_cluster(cluster, out)
    assert (out.parent / "year.epw").read_text() == (tmp_path / "year.epw").read_text()
    assert read_cluster(out) == cluster
    # as stored in the database: the cluster's text and its files' texts
    assert loads(dumps(cluster), files=series_files(cluster)) == cluster


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (epw(ghi=5000.0), "ghi between 0 and 1500 in every hour, got 5000.0 at 01-01 00:00 UTC"),
        ("\n".join(epw().splitlines()[:1000]), "a year of hourly rows (8760), got 992"),
        ("LOCATION,only a header\n", "a EPW weather file ("),
    ],
)
def test_a_bad_weather_file_is_refused_naming_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert "participants[0].assets[0].availability.weather.file" in message
    assert "a readable EPW weather file" in message
    assert expected in message


def test_a_missing_or_outside_weather_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    for name, expected in (("gone.epw", "no such file"), ("../up.epw", "inside the cluster")):
        path.write_text(CLUSTER.format(name=name, fmt="epw"))
        with pytest.raises(InputError) as caught:
            read_cluster(path)
        assert expected in str(caught.value)
        assert "availability.weather.file" in str(caught.value)
