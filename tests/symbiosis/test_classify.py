"""Free text to resource classes and List of Waste codes, and its use in registry tables."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterhub.examples import load_example
from clusterhub.symbiosis.classify import classify
from clusterhub.symbiosis.registry import streams_from_table


@pytest.mark.parametrize(
    ("text", "resource", "code"),
    [
        ("spent pickling liquor", "acid", "11 01 05*"),
        ("coal fly ash from the boiler", "ash", "10 01 02"),
        ("low-pressure steam 3 bar", "steam", None),
        ("warm cooling water, 30 C", "heat", None),
        ("mixed scrap steel", "metal", None),
        ("hydrochloric acid", "acid", None),
    ],
)
def test_descriptions_find_their_class_and_code(text: str, resource: str, code: str | None) -> None:
    result = classify(text)
    assert result.resource_class == resource
    assert result.because  # the words that decided it are shown
    if code is not None:
        assert result.ewc[0][0] == code


def test_nothing_recognised_is_other() -> None:
    result = classify("quarterly report")
    assert result.resource_class == "other"
    assert result.confidence == 0.0


def test_a_registry_row_without_a_class_is_classified_from_its_name() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "site": ["gyproc", "gyproc"],
            "direction": ["output", "output"],
            "name": ["spent pickling liquor", "quarterly report"],
            "provenance": ["synthetic", "synthetic"],
            "source": ["test", "test"],
        }
    )
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the located error is checked below
        streams_from_table(frame, file="r.csv", cluster=load_example("kalundborg"))
    problems = caught.value.problems  # type: ignore[attr-defined]
    assert [(p.line, p.path) for p in problems] == [(3, "resource_class")]
    streams = streams_from_table(frame.iloc[:1], cluster=load_example("kalundborg"))
    assert streams[0].resource_class == "acid"
