"""Oversized and hostile requests (issue 15 item 9), the pages' headers (item 10) and formula
cells in exports (item 11), on both backends where storage is touched."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sectors import PASSWORD, Service
from sqlalchemy.orm import Session

from clusterhub.collab import Role
from clusterhub.service import identity
from clusterhub.storage import make_engine
from clusterhub.web import create_site

MB = 1024 * 1024
#: The dashboard's headers, which every answer must carry.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6)
)  # 10**7 values once the aliases are written out


def _dataset(service: Service, headers: dict[str, str], name: str) -> str:
    columns = {"label": "text", "mw": "number"}
    made = service.client.post(
        "/api/v1/datasets",
        headers=headers,
        json={"name": name, "kind": "table", "columns": columns},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_every_route_has_a_body_limit_also_when_chunked(service: Service) -> None:
    admin = service.login("acme-admin")
    _dataset(service, admin, "meter")
    rows = [{"label": "x" * 200, "mw": 1.0}] * 100_000  # within the row cap, over 20 MB
    big = json.dumps({"rows": rows}).encode()
    assert len(big) > 20 * MB
    answer = service.client.post(
        "/api/v1/ingest/acme/meter",
        content=big,
        headers={**admin, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert "20 MB" in answer.json()["detail"]
    # any other route: 1 MiB, declared or streamed without a Content-Length
    declared = service.client.post(
        "/api/v1/datasets",
        content=b" " * (2 * MB),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert declared.status_code == 413
    assert "1 MiB" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"y" * 64 * 1024

    streamed = service.client.post(
        "/api/v1/datasets", content=chunks(), headers={**admin, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "1 MiB" in streamed.json()["detail"]


def test_validation_errors_never_echo_the_input(service: Service) -> None:
    admin = service.login("acme-admin")
    secret = "CONFIDENTIAL-READING-" * 500
    answer = service.client.post(
        "/api/v1/datasets",
        headers=admin,
        json={"name": secret, "kind": secret, "columns": {"a": secret}},
    )
    assert answer.status_code == 422
    assert "CONFIDENTIAL" not in answer.text
    for problem in answer.json()["detail"]:
        assert set(problem) == {"loc", "msg", "type"}
        assert problem["loc"][0] == "body"


def test_the_services_own_checks_quote_at_most_40_characters_of_a_refused_value(
    service: Service,
) -> None:
    admin = service.login("acme-admin")
    dataset = _dataset(service, admin, "reading")
    secret = "CONFIDENTIAL-READING-" * 50_000  # about a megabyte in one cell
    answer = service.client.post(f"/api/v1/datasets/{dataset}/versions", headers=admin,
                                 json={"rows": [{"label": "x", "mw": secret}]})  # fmt: skip
    assert answer.status_code == 422, answer.text[:200]
    assert len(answer.content) < 2_000
    (problem,) = answer.json()["detail"]
    assert problem["loc"][-1].endswith("mw")
    assert problem["found"].startswith("'CONFIDENTIAL-READING-CONFIDENTIAL")
    assert answer.text.count("CONFIDENTIAL") <= 2 * 3  # in found and in msg, 40 characters each


def test_out_of_range_integers_are_422_naming_the_field(service: Service) -> None:
    admin = service.login("acme-admin")
    dataset = _dataset(service, admin, "meter")
    for path in (f"/api/v1/datasets/{dataset}", f"/api/v1/datasets/{dataset}/export"):
        answer = service.client.get(
            path, headers=admin, params={"purpose": "energy-optimization", "version": 2**70}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == ["query", "version"]
    # every integer a route reads from its path or query has a bound the databases can hold
    schema = service.client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                kinds = parameter["schema"].get("anyOf", [parameter["schema"]])
                for kind in kinds:
                    if kind.get("type") == "integer":
                        assert kind.get("maximum", 2**63) <= 2**31 - 1, (path, parameter["name"])


def test_a_posted_alias_bomb_is_refused_at_once_naming_its_place(service: Service) -> None:
    engine = make_engine(service.url)
    with Session(engine) as s, s.begin():
        identity.add_user(s, "acme", "acme-operator", PASSWORD, (Role.CLUSTER_OPERATOR,))
    engine.dispose()
    operator = service.login("acme-operator")
    for document, expected in (
        (ALIAS_BOMB, "aliases written out"),
        ("[" * 5_000 + "]" * 5_000, "levels of nesting"),
        ("a: &a [1, *a]\n", "an alias of a finished node"),
    ):
        answer = service.client.post(
            "/api/v1/runs", headers=operator, json={"engine": "energy", "cluster": document}
        )
        assert answer.status_code == 422, answer.text
        problem = answer.json()["detail"][0]
        assert problem["loc"] == ["body", "cluster"]
        assert expected in problem["msg"]
        assert re.search(r"line \d+", problem["msg"])


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v for k, v in attrs if k in ("src", "href") and v}
        self.links += found.values()
        if tag == "script" and "src" not in found:
            self.inline_scripts += 1


def _assert_headers(answer: object) -> None:
    headers = answer.headers  # type: ignore[attr-defined]
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
    ):
        assert headers[name] == HEADERS[name], (answer, name)  # type: ignore[attr-defined]


@pytest.fixture
def site(migrated: str) -> Iterator[TestClient]:
    with TestClient(create_site(migrated, secret="a-test-signing-secret-of-32-bytes!!")) as client:
        yield client


def test_every_page_has_the_headers_and_loads_nothing_from_outside(site: TestClient) -> None:
    pages = ["/upload", "/docs", "/web/sign-in", "/web/overview", "/web/data", "/web/energy"]
    for page in pages:
        answer = site.get(page)
        assert answer.status_code == 200, page
        _assert_headers(answer)
        parsed = _Links()
        parsed.feed(answer.text)
        assert parsed.inline_scripts == 0, page  # the CSP allows no inline script
        for link in (k for k in parsed.links if not k.startswith("#")):  # same-page anchors
            assert link.startswith("/"), (page, link)
            assert not link.startswith("//"), (page, link)
            loaded = site.get(link)
            assert loaded.status_code == 200, (page, link)
            _assert_headers(loaded)
    assert site.get("/redoc").status_code == 404  # ReDoc needs what the CSP forbids
    # errors and refusals carry them too
    for answer in (
        site.get("/nowhere"),
        site.get("/api/v1/me"),
        site.post("/api/v1/datasets", content=b"{", headers={"Content-Type": "application/json"}),
        site.post("/api/v1/token", content=b" " * (2 * MB)),
    ):
        _assert_headers(answer)


def test_formula_cells_are_neutralised_on_every_export(service: Service) -> None:
    admin = service.login("acme-admin")
    dataset = _dataset(service, admin, "ledger")
    labels = [
        '=HYPERLINK("http://x.example","x")',
        "+1+2",
        "-3+4",
        "@SUM(A1)",
        "\tTAB",
        "\rCR",
        "plain",
        "-5",
    ]
    out = io.StringIO()
    csv.writer(out).writerows([["label", "mw"], *([v, -k - 1] for k, v in enumerate(labels))])
    sent = out.getvalue()
    upload = service.client.post(
        "/api/v1/ingest/acme/ledger/file",
        headers=admin,
        files={"file": ("ledger.csv", sent.encode(), "text/csv")},
    )
    assert upload.status_code == 201, upload.text
    purpose = {"purpose": "energy-optimization"}
    stored = service.client.get(f"/api/v1/datasets/{dataset}", headers=admin, params=purpose)
    assert [r["label"] for r in stored.json()["rows"]] == labels  # stored as sent
    exported = service.client.get(
        f"/api/v1/datasets/{dataset}/export", headers=admin, params={**purpose, "format": "csv"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text)))
    assert table[0] == ["label", "mw"]
    assert [row[0] for row in table[1:]] == ["'" + v for v in labels[:6]] + ["plain", "'-5"]
    assert [float(row[1]) for row in table[1:]] == [-k - 1.0 for k in range(len(labels))]
    book = service.client.get(
        f"/api/v1/datasets/{dataset}/export", headers=admin, params={**purpose, "format": "xlsx"}
    )
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    # (XML reads a carriage return back as a line feed)
    shown = [str(c[0]).replace("\n", "\r") for c in cells]
    assert shown == ["'" + v for v in labels[:6]] + ["plain", "'-5"]
    assert [c[1] for c in cells] == [-k - 1 for k in range(len(labels))]  # numbers stay numbers
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    # another tenant gets the same 404 as for no dataset
    other = service.login("beta-admin")
    refused = service.client.get(
        f"/api/v1/datasets/{dataset}/export", headers=other, params=purpose
    )
    assert refused.status_code == 404


def test_an_export_is_judged_and_audited_like_a_read(service: Service) -> None:
    """The README: exports pass the same door as reads. A grantee's export is on the owner's
    trail with its purpose; a tenant without a grant gets the 404 of a missing dataset, and that
    refusal is on the trail too."""
    admin = service.login("acme-admin")
    dataset = _dataset(service, admin, "kiln")
    stored = service.client.post(f"/api/v1/datasets/{dataset}/versions", headers=admin,
                                 json={"rows": [{"label": "a", "mw": 1.0}]})  # fmt: skip
    assert stored.status_code == 201, stored.text
    granted = service.client.post("/api/v1/grants", headers=admin, json={
        "dataset": dataset, "grantee_kind": "tenant", "grantee": "beta",
        "purpose": "energy-optimization", "form": "raw"})  # fmt: skip
    assert granted.status_code == 201, granted.text
    path = f"/api/v1/datasets/{dataset}/export"
    query = {"purpose": "energy-optimization", "format": "csv"}
    ok = service.client.get(path, headers=service.login("beta-analyst"), params=query)
    assert ok.status_code == 200
    refused = service.client.get(path, headers=service.login("gamma-analyst"), params=query)
    assert refused.status_code == 404
    trail = service.client.get("/api/v1/audit", headers=admin).json()
    reads = [e for e in trail if e.get("dataset") == dataset and e["action"] == "read"]
    assert any(e["user"] == "beta-analyst" and e["allowed"] for e in reads)
    assert any(e["user"] == "gamma-analyst" and not e["allowed"] for e in reads)
    assert all(e["purpose"] == "energy-optimization" for e in reads)


def test_a_posted_cluster_reads_no_file_of_the_service(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's cluster naming a CSV column or a weather year: refused as a file it does not
    carry, though such files lie in the service's working directory; nothing read from them."""
    text = (Path(__file__).parents[1] / "data" / "energy" / "peaks.yaml").read_text()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.csv").write_text("mw\n10\n3\n")
    (tmp_path / "secret.epw").write_text("LOCATION,x\n")
    engine = make_engine(service.url)
    with Session(engine) as s, s.begin():
        identity.add_user(s, "acme", "acme-reader-op", PASSWORD, (Role.CLUSTER_OPERATOR,))
    engine.dispose()
    operator = service.login("acme-reader-op")
    assert "profile_mw: [10.0, 3.0]" in text
    for reference, kind in (
        ("{file: secret.csv, column: mw}", "CSV"),
        ("{generator: wind, weather: {file: secret.epw, format: epw}}", "EPW weather"),
    ):
        posted = text.replace("profile_mw: [10.0, 3.0]", f"profile_mw: {reference}")
        answer = service.client.post(
            "/api/v1/runs", headers=operator, json={"engine": "energy", "cluster": posted}
        )
        assert answer.status_code == 422, answer.text
        problem = answer.json()["detail"][0]
        assert problem["loc"] == ["body", "cluster"]
        assert "no such file" in problem["msg"], problem
        assert f"a readable {kind}" in problem["msg"] or "file" in problem["msg"]
