"""Scanning from the desk's scanner, on SANE's `test` backend (no hardware)."""
from __future__ import annotations

import hashlib
import shutil

import pytest

from tests.conftest import dossier_body

pytestmark = pytest.mark.skipif(shutil.which("scanimage") is None,
                                reason="sane-utils not installed (scripts/test.sh installs it)")


@pytest.fixture
def sane_test_backend(tmp_path, monkeypatch):
    conf = tmp_path / "sane"
    conf.mkdir()
    (conf / "dll.conf").write_text("test\n")
    shutil.copy("/etc/sane.d/test.conf", conf / "test.conf")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(conf))
    return conf


def test_lists_the_test_scanners(api, sane_test_backend):
    devices = [s["device"] for s in api.get("/api/v1/scanners").get_json()["items"]]
    assert "test:0" in devices


def test_scan_three_pages_from_the_feeder_into_a_dossier(api, app, sane_test_backend):
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    resp = api.post(f"/api/v1/dossiers/{code}/scan", json={
        "requirement": "1.001193-d1", "device": "test:0", "pages": 3, "feeder": True,
        "resolution": 75})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["pages"] == 3
    added = resp.get_json()["attachments"]
    # SANE's test device feeds identical pages: content addressing stores them once
    assert [a["filename"] for a in added] == ["trang-01.png"]
    store = app.extensions["motcua.blobs"]
    for a in added:
        data = store.read(a["sha256"])
        assert data.startswith(b"\x89PNG") and hashlib.sha256(data).hexdigest() == a["sha256"]
    detail = api.get(f"/api/v1/dossiers/{code}").get_json()
    assert sum(e["kind"] == "attachment.added" for e in detail["history"]) >= 1


def test_scan_pages_returns_every_page(sane_test_backend):
    from node.scanner import scan_pages
    pages = scan_pages("test:0", pages=2, feeder=True, resolution=75, mode="Color")
    assert len(pages) == 2 and all(p.startswith(b"\x89PNG") for p in pages)


def test_scan_refusals_change_nothing(api, sane_test_backend):
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    bad = api.post(f"/api/v1/dossiers/{code}/scan", json={"requirement": "1.001193-d1",
                                                          "pages": 0})
    assert bad.status_code == 422 and "trang" in bad.get_json()["error"]["message"]
    missing = api.post(f"/api/v1/dossiers/{code}/scan", json={"requirement": "1.001193-d1",
                                                              "device": "khong-co:9"})
    assert missing.status_code == 503 and "Không quét được" in missing.get_json()["error"]["message"]
    assert api.get(f"/api/v1/dossiers/{code}").get_json()["attachments"] == []


# ---- "Quét" on the dossier page ---------------------------------------------------------------

def test_the_quet_button_scans_a_flatbed_page_and_a_feeder_batch_into_one_pdf(app, api,
                                                                             sane_test_backend):
    import re
    import subprocess

    from node.models import Dossier
    from tests.test_webui import login
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    web = app.test_client()
    login(web)
    page = web.get(f"/dossiers/{code}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for key in ("1.001193-d1", "1.001193-d2"):
        assert f'id="scan-btn-{key}"' in page and f'<label for="source-{key}">' in page
    flat = web.post(f"/dossiers/{code}/scan", data={
        "csrf_token": csrf, "requirement": "1.001193-d1", "source": "flatbed", "mode": "Color",
        "resolution": "75"})
    assert flat.status_code == 302 and flat.location.endswith("#paper-1.001193-d1")
    batch = web.post(f"/dossiers/{code}/scan", data={
        "csrf_token": csrf, "requirement": "1.001193-d2", "source": "feeder", "mode": "Gray",
        "resolution": "75", "pages": "3"})
    assert batch.status_code == 302
    d = Dossier.get(code=code)
    got = {a.requirement_key: a for a in d.attachments}
    assert got["1.001193-d1"].blob.mime == "image/png"
    pdf = app.extensions["motcua.blobs"].read(got["1.001193-d2"].sha256)
    assert got["1.001193-d2"].blob.mime == "application/pdf" and pdf.startswith(b"%PDF")
    assert got["1.001193-d2"].filename.endswith("3trang.pdf")
    assert pdf.count(b"/Type /Page ") == 3
    if shutil.which("pdfinfo"):                    # a real reader opens it: three pages
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.decode()
        assert re.search(r"Pages:\s+3", info)
    bad = web.post(f"/dossiers/{code}/scan", data={
        "csrf_token": csrf, "requirement": "1.001193-d2", "source": "feeder", "resolution": "9000"})
    assert bad.status_code == 302
    assert "resolution" in web.get(f"/dossiers/{code}").text
    assert len(list(Dossier.get(code=code).attachments)) == 2


def test_no_scanner_is_one_plain_sentence(app, api, tmp_path, monkeypatch):
    import re

    from tests.test_webui import login
    empty = tmp_path / "nosane"
    empty.mkdir()
    (empty / "dll.conf").write_text("")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(empty))
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    web = app.test_client()
    login(web)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get(f"/dossiers/{code}").text).group(1)
    resp = web.post(f"/dossiers/{code}/scan", data={"csrf_token": csrf,
                                                    "requirement": "1.001193-d1"})
    assert resp.status_code == 302
    assert "Không tìm thấy máy quét nào" in web.get(f"/dossiers/{code}").text
