"""Bad input to every node API endpoint: a 4xx with a Vietnamese message, and nothing changes."""
from __future__ import annotations

import hashlib
import re

import pytest

from tests.conftest import applicant, dossier_body, png_bytes, upload

VIETNAMESE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]",
                        re.IGNORECASE)


def snapshot(node_dir):
    """Every row of every table, plus the scan files: what "nothing changed" compares."""
    import sqlite3
    con = sqlite3.connect(node_dir / "node.db")
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'dossier_fts%' "
            "AND name NOT LIKE 'sqlite_%' AND name != 'api_token'")]
        rows = {t: con.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
    finally:
        con.close()
    files = sorted(p.name for p in (node_dir / "scans").glob("*/*"))
    return rows, files


@pytest.fixture
def existing(api):
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    assert upload(api, code, png_bytes(3000)).status_code == 201
    return code


def bad_requests(code):
    yield "post", "/api/v1/dossiers", {"data": "not json", "content_type": "application/json"}
    yield "post", "/api/v1/dossiers", {"json": []}
    yield "post", "/api/v1/dossiers", {"json": {}}
    yield "post", "/api/v1/dossiers", {"json": dossier_body(procedure_code="9.999999")}
    yield "post", "/api/v1/dossiers", {"json": dossier_body(applicant="Nguyễn Văn An")}
    for field, value in [("id_number", "12345"), ("id_number", "999085001234"),
                         ("id_number", "022285001234"), ("phone", "0123"),
                         ("phone", "0212345678"), ("full_name", ""), ("full_name", "A" * 400),
                         ("date_of_birth", "31/02/1985"), ("date_of_birth", "2099-01-01"),
                         ("email", "khong-phai-email"), ("address", ""), ("id_number", 22085001234)]:
        yield "post", "/api/v1/dossiers", {"json": dossier_body(applicant=applicant(**{field: value}))}
    yield "post", "/api/v1/dossiers", {"json": dossier_body(channel=7)}
    yield "post", "/api/v1/dossiers", {"json": dossier_body(fee_vnd=-5)}
    yield "post", "/api/v1/dossiers", {"json": dossier_body(notes=["x"])}
    yield "get", "/api/v1/dossiers", {"query_string": {"status": "42"}}
    yield "get", "/api/v1/dossiers", {"query_string": {"page": "0"}}
    yield "get", "/api/v1/dossiers", {"query_string": {"per_page": "5000"}}
    yield "get", "/api/v1/dossiers", {"query_string": {"from": "hôm qua"}}
    yield "get", "/api/v1/dossiers", {"query_string": {"q": "x" * 500}}
    yield "get", "/api/v1/dossiers/07024-000000-9999", {}
    yield "patch", f"/api/v1/dossiers/{code}", {"json": {"applicant": {"phone": "12"}}}
    yield "patch", f"/api/v1/dossiers/{code}", {"json": {"applicant": {"status": 10}}}
    yield "patch", f"/api/v1/dossiers/{code}", {"json": {"applicant": {}}}
    yield "patch", f"/api/v1/dossiers/{code}", {"json": "x"}
    yield "patch", "/api/v1/dossiers/khong-co", {"json": {"applicant": {"phone": "0912345678"}}}
    yield "post", f"/api/v1/dossiers/{code}/attachments", {"data": {}}
    yield "post", f"/api/v1/dossiers/{code}/transitions", {"json": {}}
    yield "post", f"/api/v1/dossiers/{code}/transitions", {"json": {"to": "abc"}}
    yield "post", f"/api/v1/dossiers/{code}/transitions", {"json": {"to": 10}}
    yield "post", f"/api/v1/dossiers/{code}/transitions", {"json": {"to": 3}}
    yield "post", f"/api/v1/dossiers/{code}/transitions", {"json": {"to": 4, "reason": 5}}
    yield "post", "/api/v1/dossiers/khong-co/transitions", {"json": {"to": 4}}
    yield "post", f"/api/v1/dossiers/{code}/rating", {"json": {"rating": "satisfied"}}
    yield "post", f"/api/v1/dossiers/{code}/rating", {"json": {"rating": "tuyệt vời"}}
    yield "get", f"/api/v1/dossiers/{code}/attachments/{'0' * 64}", {}
    yield "get", f"/api/v1/dossiers/{code}/attachments/not-a-hash", {}
    yield "delete", f"/api/v1/dossiers/{code}/attachments/{'0' * 64}", {}
    yield "get", "/api/v1/khong-co-duong-dan", {}
    yield "put", "/api/v1/dossiers", {"json": {}}


def test_every_bad_request_is_refused_in_vietnamese_and_changes_nothing(api, app, node_dir, existing):
    before = snapshot(node_dir)
    seen = 0
    for method, url, kwargs in bad_requests(existing):
        resp = getattr(api, method)(url, **kwargs)
        assert 400 <= resp.status_code < 500, (method, url, kwargs, resp.status_code, resp.data[:300])
        error = resp.get_json()["error"]
        assert error["code"] and VIETNAMESE.search(error["message"]), (url, error)
        assert snapshot(node_dir) == before, (method, url, kwargs)
        seen += 1
    assert seen >= 40


def test_bad_uploads_change_nothing(api, node_dir, existing):
    before = snapshot(node_dir)
    for data, requirement in [(b"", "1.001193-d1"), (b"GIF89a....", "1.001193-d1"),
                              (png_bytes(), None), (png_bytes(), "khong-co"),
                              (b"%PDF-" + b"x" * (2 * 1024 * 1024 + 1), "1.001193-d1")]:
        resp = upload(api, existing, data, requirement=requirement or "")
        assert 400 <= resp.status_code < 500
        assert VIETNAMESE.search(resp.get_json()["error"]["message"])
    assert snapshot(node_dir) == before


def test_validation_reports_every_bad_field(api):
    resp = api.post("/api/v1/dossiers", json=dossier_body(
        applicant=applicant(phone="123", id_number="abc")))
    fields = resp.get_json()["error"]["fields"]
    assert set(fields) == {"applicant.phone", "applicant.id_number"}


def test_attachment_hash_matches_content(api, existing):
    data = png_bytes(1234, seed=9)
    resp = upload(api, existing, data, requirement="1.001193-d2")
    assert resp.get_json()["sha256"] == hashlib.sha256(data).hexdigest()
