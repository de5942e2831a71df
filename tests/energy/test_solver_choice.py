"""Large models go to the interior-point solver; it must give the same optimum, dual and
congestion as the simplex, and a bad solver option must be refused by name, not ignored."""

from __future__ import annotations

import highspy
import pytest

from clusterhub.energy import DispatchOptions, compare, prepare
from clusterhub.energy import highs as backend
from clusterhub.errors import InputError
from clusterhub.model import Cluster


def _has_hipo() -> bool:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return backend.has_hipo(highs)


@pytest.mark.skipif(not _has_hipo(), reason="this HiGHS build has no HiPO")
def test_interior_point_matches_the_hand_optimum(
    shared_connection: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend, "LARGE_MODEL_COLUMNS", 0)
    assert prepare(shared_connection).method == "hipo"
    result = compare(shared_connection)
    assert result.joint.total_cost_eur == pytest.approx(2400.0, rel=1e-6)
    assert result.standalone.total_cost_eur == pytest.approx(4650.0, rel=1e-6)
    value = result.joint.connection_value_eur_per_mwh.sel(connection="grid")
    assert value.values == pytest.approx([250.0, 250.0, 250.0], rel=1e-5)
    assert result.joint.congested_hours["grid"] == pytest.approx(3.0)


def test_small_models_stay_on_the_simplex(shared_connection: Cluster) -> None:
    assert prepare(shared_connection).method == "simplex"


def test_an_unknown_solver_option_is_refused_by_name(shared_connection: Cluster) -> None:
    options = DispatchOptions(solver_options={"solver": "no-such-solver"})
    with pytest.raises(InputError) as caught:
        prepare(shared_connection, options=options)
    assert caught.value.problems[0].path == "solver_options.solver"
    assert "no-such-solver" in str(caught.value)
