"""Property: any valid cluster survives dump and load unchanged, in YAML and in JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from clusterhub.model import Cluster, dumps, loads
from clusterhub.model.io import series_files

ids = st.from_regex(r"\A[a-z][a-z0-9_-]{0,8}\Z")
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
nonneg = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
fraction = st.floats(min_value=0, max_value=1, allow_nan=False)
efficiency = st.floats(min_value=1e-3, max_value=1, allow_nan=False)


def series(periods: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        finite,
        st.lists(finite, min_size=periods, max_size=periods),
        st.fixed_dictionaries(
            {"generator": st.just("shape"), "mean": finite},
            optional={"daily_amplitude": fraction, "noise": fraction, "seed": st.integers(0, 99)},
        ),
        st.fixed_dictionaries(
            {"generator": st.just("wind")},
            optional={"mean_speed_m_s": st.floats(1, 15), "seed": st.integers(0, 99)},
        ),
    )


@st.composite
def clusters(draw: st.DrawFn) -> dict[str, Any]:
    periods = draw(st.integers(1, 24))
    n = draw(st.integers(1, 3))
    names = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    carriers = [
        {"id": "electricity", "kind": "electricity", "price_eur_per_unit": draw(series(periods))},
        {"id": "heat", "kind": "heat", "temperature_c": draw(st.floats(20, 500))},
        {"id": "co2", "kind": "co2", "unit": "t"},
    ]
    participants = []
    streams: dict[str, list[str]] = {"input": [], "output": []}
    for p, name in enumerate(names):
        site = f"{name}-site"
        assets = [
            {
                "type": "generator",
                "id": f"{name}-gen",
                "site": site,
                "technology": draw(st.sampled_from(["pv", "wind"])),
                "capacity_mw": draw(nonneg),
                "availability": draw(series(periods)),
            },
            {
                "type": "storage",
                "id": f"{name}-sto",
                "site": site,
                "technology": "heat",
                "carrier": "heat",
                "energy_capacity_mwh": draw(positive),  # 0 MWh with power is refused
                "charge_capacity_mw": draw(nonneg),
                "discharge_capacity_mw": draw(nonneg),
                "charge_efficiency": draw(efficiency),
                "min_soc_fraction": 0.0,
                "initial_soc_fraction": draw(fraction),
                "cyclic": draw(st.booleans()),
            },
            {
                "type": "converter",
                "id": f"{name}-hp",
                "site": site,
                "technology": "heat_pump",
                "capacity_mw": draw(nonneg),
                "inputs": {"electricity": 1.0},
                "outputs": {"heat": draw(st.floats(1, 6))},
            },
            {
                "type": "demand",
                "id": f"{name}-dem",
                "site": site,
                "carrier": "electricity",
                "profile_mw": draw(series(periods)),
                "flexibility": draw(
                    st.none()
                    | st.fixed_dictionaries(
                        {"shiftable_share": fraction, "window_hours": st.integers(1, 48)}
                    )
                ),
            },
        ]
        direction = "output" if p % 2 == 0 else "input"
        stream_id = f"{name}-co2"
        streams[direction].append(stream_id)
        participants.append(
            {
                "id": name,
                "name": draw(text.filter(lambda s: s.strip() != "")),
                "nace": draw(st.sampled_from(["C20.14", "D35", "C24.1"])),
                "sites": [
                    {
                        "id": site,
                        "latitude": draw(st.floats(-90, 90)),
                        "longitude": draw(st.floats(-180, 180)),
                        "connection": "grid",
                    }
                ],
                "assets": assets,
                "streams": [
                    {
                        "id": stream_id,
                        "site": site,
                        "direction": direction,
                        "name": "CO2",
                        "resource_class": "co2",
                        "annual_quantity": f"{draw(st.integers(0, 10**6))} t",
                        "quality": {"purity_pct": draw(st.floats(0, 100))},
                        "provenance": draw(
                            st.sampled_from(["verified", "background", "synthetic"])
                        ),
                        "source": "test",
                    }
                ],
            }
        )
    exchanges = [
        {
            "id": f"x{i}",
            "supplier": s,
            "receiver": r,
            "provenance": "synthetic",
            "source": "t",
            "start_year": draw(st.none() | st.integers(1960, 2020)),
        }
        for i, (s, r) in enumerate(zip(streams["output"], streams["input"], strict=False))
    ]
    start = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)))
    return {
        "name": draw(text.filter(lambda s: s.strip() != "")),
        "location": {"latitude": 51.0, "longitude": 4.0},
        "timezone": draw(st.sampled_from(["UTC", "Europe/Amsterdam", "Australia/Perth"])),
        "horizon": {
            "start": start.replace(second=0, microsecond=0).isoformat(),
            "resolution": draw(st.sampled_from(["15min", "1h"])),
            "periods": periods,
        },
        "carbon_price_eur_per_t": draw(series(periods)),
        "carriers": carriers,
        "participants": participants,
        "connections": [
            {
                "id": "grid",
                "import_limit_mw": draw(series(periods)),
                "export_limit_mw": draw(nonneg),
                "contracts": [{"participant": names[0], "import_mw": draw(nonneg)}],
            }
        ],
        "exchanges": exchanges,
    }


@given(clusters())
def test_yaml_round_trip(document: dict[str, Any]) -> None:
    cluster = Cluster.model_validate(document)
    assert loads(dumps(cluster), files=series_files(cluster)) == cluster


@given(clusters())
def test_json_round_trip(document: dict[str, Any]) -> None:
    cluster = Cluster.model_validate(document)
    assert loads(dumps(cluster, fmt="json")) == cluster
    assert dumps(loads(dumps(cluster, fmt="json")), fmt="json") == dumps(cluster, fmt="json")
