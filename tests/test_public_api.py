"""The public names are a promise to users: changing them must be a deliberate act."""

from __future__ import annotations

import clusterhub
import clusterhub.errors


def test_top_level_names() -> None:
    assert sorted(clusterhub.__all__) == [
        "Cluster",
        "ClusterhubError",
        "InputError",
        "ModelError",
        "__version__",
        "dumps",
        "load_cluster",
        "loads",
        "read_cluster",
        "write_cluster",
    ]
    for name in clusterhub.__all__:
        assert hasattr(clusterhub, name)


def test_error_tree() -> None:
    errors = clusterhub.errors
    assert sorted(errors.__all__) == [
        "ClusterhubError",
        "Conflict",
        "Forbidden",
        "InputError",
        "ModelError",
        "NotFound",
        "Problem",
        "SolveError",
        "StorageError",
    ]
    for name in (
        "InputError", "ModelError", "SolveError", "NotFound", "Forbidden", "Conflict",
        "StorageError",
    ):  # fmt: skip
        assert issubclass(getattr(errors, name), errors.ClusterhubError)


def test_problem_renders_where_then_expected_then_found() -> None:
    problem = clusterhub.errors.Problem(
        "a number >= 0", "-5", "participants[3].assets[1].capacity_mw", "harbour.yaml", 41, 7
    )
    assert str(problem) == (
        "harbour.yaml:41:7: participants[3].assets[1].capacity_mw: expected a number >= 0, got -5"
    )
