"""The bundled examples save what the clusters they are modelled on report, against a baseline
that holds the members' own bilateral contracts, and say why.

- harbour: Rotterdam's Starlings feasibility study, 2-5% energy cost saving; the baseline holds
  the hydrogen and steam supply contracts the two lines were built for. Over the year.
- energy-park: the Ordos-Envision park, about 10% electricity cost saving; the baseline holds
  every company's pay-as-produced shares of the park's wind and PV. Over four seasonal weeks
  (a year of 46 companies is a benchmark, not a test), against the paying companies' bills.
"""

from __future__ import annotations

import pytest

from clusterhub.energy import DispatchOptions, compare
from clusterhub.examples import load_example

SEASONAL_WEEKS = ("2024-01-15", "2024-04-15", "2024-07-15", "2024-10-14")


def test_the_harbour_saves_what_starlings_found_over_its_year() -> None:
    cluster = load_example("harbour")
    assert {a.id for a in cluster.agreements} == {"hydrogen-supply", "steam-supply"}
    result = compare(cluster)
    assert 2.0 <= result.saving_pct <= 5.0, result.saving_pct


def test_the_harbour_says_why_it_saves() -> None:
    # a week, split by cause: the two lines and the converters behind them make most of it
    result = compare(
        load_example("harbour"), options=DispatchOptions(start="2024-06-03", steps=168), causes=True
    )
    split = result.saving_by_cause_eur
    assert split is not None
    assert sum(split.values()) == pytest.approx(result.saving_eur, rel=1e-6)
    top = sorted(split, key=lambda cause: -split[cause])[:2]
    assert set(top) == {"converter sharing", "lines between members"}


def test_the_energy_park_saves_about_what_ordos_reports() -> None:
    cluster = load_example("energy-park")
    saving = bills = 0.0
    for start in SEASONAL_WEEKS:
        result = compare(cluster, options=DispatchOptions(start=start, steps=168))
        saving += result.saving_eur
        bills += result.paying_cost_eur
    assert 8.0 <= 100 * saving / bills <= 12.0, 100 * saving / bills
