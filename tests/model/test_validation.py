"""Each validation rule of the cluster model, with the field path and expectation it reports."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from clusterhub import InputError
from clusterhub.model import loads, validate_document

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Doc:
    path = Path(__file__).parents[1] / "data" / "small" / "cluster.yaml"
    return dict(yaml.safe_load(path.read_text()))


@pytest.fixture(scope="module")
def files() -> dict[str, pd.DataFrame]:
    path = Path(__file__).parents[1] / "data" / "small" / "prices.csv"
    return {"prices.csv": pd.read_csv(path, dtype=str)}


def _problems(
    document: Doc, files: dict[str, pd.DataFrame], change: Callable[[Doc], None]
) -> list[str]:
    doc = copy.deepcopy(document)
    change(doc)
    with pytest.raises(InputError) as caught:
        validate_document(doc, files=files)
    return [str(p) for p in caught.value.problems]


def test_the_fixture_is_valid(document: Doc, files: dict[str, pd.DataFrame]) -> None:
    assert validate_document(document, files=files).name == "Small test cluster"


CASES: list[tuple[str, Callable[[Doc], None], str]] = [
    (
        "unknown site",
        lambda d: d["participants"][0]["assets"][0].update(site="nowhere"),
        "participants[0].assets[0].site: expected one of the site of 'acme' ids ('acme-plant'), "
        "got 'nowhere'",
    ),
    (
        "asset on another participant's site",
        lambda d: d["participants"][1]["assets"][0].update(site="acme-plant"),
        "participants[1].assets[0].site: expected one of the site of 'bolt' ids ('bolt-works'), "
        "got 'acme-plant'",
    ),
    (
        "unknown carrier",
        lambda d: d["participants"][0]["assets"][1].update(carrier="power"),
        "participants[0].assets[1].carrier: expected one of the carrier ids ('electricity', "
        "'gas', 'steam'), got 'power'",
    ),
    (
        "unknown converter input",
        lambda d: d["participants"][0]["assets"][2].update(inputs={"hydrogen": 1}),
        "participants[0].assets[2].inputs.hydrogen: expected one of the carrier ids",
    ),
    (
        "duplicate asset id",
        lambda d: d["participants"][1]["assets"][0].update(id="acme-pv"),
        "participants[1].assets[0].id: expected a asset id not used before, got 'acme-pv'",
    ),
    (
        "duplicate participant id",
        lambda d: d["participants"][1].update(id="acme"),
        "participants[1].id: expected a participant id not used before, got 'acme'",
    ),
    (
        "negative capacity",
        lambda d: d["participants"][0]["assets"][2].update(capacity_mw=-1),
        "participants[0].assets[2].capacity_mw: expected a number >= 0, got -1",
    ),
    (
        "boiler efficiency above one",
        lambda d: d["participants"][0]["assets"][2].update(outputs={"steam": 1.2}),
        "participants[0].assets[2].outputs.steam: expected an efficiency in (0, 1], got 1.2",
    ),
    (
        "storage efficiency zero",
        lambda d: d["participants"][1]["assets"][0].update(charge_efficiency=0),
        "participants[1].assets[0].charge_efficiency: expected a number > 0, got 0",
    ),
    (
        "inline series too short",
        lambda d: d["participants"][0]["assets"][3].update(profile_mw=[6.0] * 47),
        "participants[0].assets[3].profile_mw: expected 48 values (the horizon's periods), "
        "got 47 values",
    ),
    (
        "carrier in the wrong unit",
        lambda d: d["carriers"][1].update(unit="t"),
        "carriers[1].unit: expected unit 'MWh' for a natural_gas carrier, got 't'",
    ),
    (
        "steam without temperature",
        lambda d: d["carriers"][2].pop("temperature_c"),
        "carriers[2].temperature_c: expected temperature_c for a steam carrier, got nothing",
    ),
    (
        "stream quantity of the wrong dimension",
        lambda d: d["participants"][0]["streams"][0].update(annual_quantity="70 MWh"),
        "participants[0].streams[0].annual_quantity: expected a mass or normal volume for 'co2', "
        "got '70 MWh' (energy)",
    ),
    (
        "fate cost per the wrong unit",
        lambda d: d["participants"][0]["streams"][0].update(fate_cost="65 EUR/m3"),
        "participants[0].streams[0].fate_cost: expected money / mass (e.g. EUR/t), "
        "got '65 EUR/m3' (money / volume)",
    ),
    (
        "unparseable quantity",
        lambda d: d["participants"][0]["streams"][0].update(annual_quantity="lots"),
        "participants[0].streams[0].annual_quantity: expected a quantity with a unit such as "
        "'70 kt', got 'lots'",
    ),
    (
        "exchange from an input",
        lambda d: d["exchanges"][0].update(supplier="bolt-co2-in"),
        "exchanges[0].supplier: expected one of the output stream ids ('acme-co2'), "
        "got 'bolt-co2-in'",
    ),
    (
        "exchange quantity in another dimension than its supplier",
        lambda d: d["exchanges"][0].update(annual_quantity="20000 m3"),
        "exchanges[0].annual_quantity: expected a mass like the supplier stream, "
        "got '20000 m3' (volume)",
    ),
    (
        "exchange ending before it starts",
        lambda d: d["exchanges"][0].update(end_year=2020),
        "exchanges[0]: expected end_year >= start_year (2022), got 2020",
    ),
    (
        "company without NACE",
        lambda d: d["participants"][0].pop("nace"),
        "participants[0].nace: expected a NACE Rev. 2 code such as 'C20.14' for a company",
    ),
    (
        "bad NACE",
        lambda d: d["participants"][0].update(nace="chemicals"),
        "participants[0].nace: expected a NACE Rev. 2 code such as 'C20.14' or 'D35', "
        "got 'chemicals'",
    ),
    (
        "connection operator not a grid operator",
        lambda d: d["connections"][0].update(operator="acme"),
        "connections[0].operator: expected a participant of kind 'grid_operator', "
        "got 'acme' of kind 'company'",
    ),
    (
        "contract for a participant not behind the connection",
        lambda d: d["connections"][0]["contracts"].append({"participant": "tso", "import_mw": 1}),
        "connections[0].contracts[2].participant: expected a participant with a site behind "
        "this connection, got 'tso'",
    ),
    (
        "site behind an unknown connection",
        lambda d: d["participants"][0]["sites"][0].update(connection="other"),
        "participants[0].sites[0].connection: expected one of the connection ids ('grid'), "
        "got 'other'",
    ),
    (
        "link to an unknown site",
        lambda d: d["links"][0].update(target="nowhere"),
        "links[0].target: expected one of the site ids ('acme-plant', 'bolt-works'), got 'nowhere'",
    ),
    (
        "link loss of 100%",
        lambda d: d["links"][0].update(loss_fraction=1.0),
        "links[0].loss_fraction: expected a number < 1, got 1.0",
    ),
    (
        "unknown field",
        lambda d: d["participants"][0]["assets"][0].update(capacity=5),
        "participants[0].assets[0].capacity: expected no such field here (a typo?), got 'capacity'",
    ),
    (
        "wrong asset type",
        lambda d: d["participants"][0]["assets"][0].update(type="turbine"),
        "participants[0].assets[0].type: expected one of 'generator', 'storage', 'converter', "
        "'demand', got 'turbine'",
    ),
    (
        "unknown generator",
        lambda d: d["participants"][0]["assets"][0].update(availability={"generator": "sun"}),
        "participants[0].assets[0].availability: expected a number, a list of numbers, "
        "{file: ..., column: ...} or {generator: pv | wind | demandlib | shape | cop, ...}, "
        "got generator 'sun'",
    ),
    (
        "storage with power but no energy",
        lambda d: d["participants"][1]["assets"][0].update(energy_capacity_mwh=0),
        "participants[1].assets[0].energy_capacity_mwh: expected energy_capacity_mwh > 0 for a "
        "storage of 4 MW (or charge and discharge capacity 0), got 0",
    ),
    (
        "bad time zone",
        lambda d: d.update(timezone="Mars/Olympus"),
        "timezone: expected an IANA time zone such as 'Europe/Amsterdam', got 'Mars/Olympus'",
    ),
    (
        "bad resolution",
        lambda d: d["horizon"].update(resolution="often"),
        "horizon.resolution: expected a time step such as '15min' or '1h', got 'often'",
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(
    document: Doc, files: dict[str, pd.DataFrame], change: Callable[[Doc], None], expected: str
) -> None:
    problems = _problems(document, files, change)
    assert any(p.startswith(expected) for p in problems), problems


def test_several_reference_problems_are_all_reported(
    document: Doc, files: dict[str, pd.DataFrame]
) -> None:
    def change(d: Doc) -> None:
        d["participants"][0]["assets"][0]["site"] = "nowhere"
        d["links"][0]["target"] = "elsewhere"

    problems = _problems(document, files, change)
    assert len(problems) == 2


def test_field_problems_do_not_hold_back_reference_problems(
    document: Doc, files: dict[str, pd.DataFrame]
) -> None:
    """A bad capacity in one record, a bad time zone, and an unknown site elsewhere: pydantic
    alone would name the first two and hide the reference until they are fixed."""

    def change(d: Doc) -> None:
        d["participants"][0]["assets"][0]["capacity_mw"] = -5
        d["timezone"] = "Mars/Olympus"
        d["participants"][0]["assets"][1]["site"] = "nowhere"
        d["links"][0]["target"] = "elsewhere"

    problems = _problems(document, files, change)
    assert any(p.startswith("participants[0].assets[0].capacity_mw: expected") for p in problems)
    assert any(p.startswith("timezone: expected an IANA time zone") for p in problems)
    # the index is the file's although assets[0] was set aside to check the rest
    assert any(p.startswith("participants[0].assets[1].site: expected") for p in problems)
    assert any(p.startswith("links[0].target: expected") for p in problems)
    assert len(problems) == 4, problems


def test_a_reference_to_a_broken_record_is_not_reported_twice(
    document: Doc, files: dict[str, pd.DataFrame]
) -> None:
    """Setting aside a broken site must not make every asset on it an unknown-site problem."""

    def change(d: Doc) -> None:
        d["participants"][0]["sites"][0]["latitude"] = 123

    problems = _problems(document, files, change)
    assert len(problems) == 1, problems
    assert problems[0].startswith("participants[0].sites[0].latitude: expected")


def test_series_file_problems_come_with_the_document_problems(document: Doc) -> None:
    """A missing CSV used to stop the check before any field of the document was read."""
    doc = copy.deepcopy(document)
    doc["participants"][0]["assets"][0]["capacity_mw"] = -5
    with pytest.raises(InputError) as caught:
        loads(yaml.safe_dump(doc), file="c.yaml", files={})
    problems = [str(p) for p in caught.value.problems]
    assert any("carriers[0].price_eur_per_unit.file" in p and "no such file" in p for p in problems)
    assert any("participants[0].assets[0].capacity_mw: expected" in p for p in problems)


def test_storage_without_power_or_energy_is_accepted(
    document: Doc, files: dict[str, pd.DataFrame]
) -> None:
    doc = copy.deepcopy(document)
    doc["participants"][1]["assets"][0].update(
        energy_capacity_mwh=0, charge_capacity_mw=0, discharge_capacity_mw=0
    )
    assert validate_document(doc, files=files).name == "Small test cluster"
