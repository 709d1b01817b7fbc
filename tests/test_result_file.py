"""The result file: the officer's PDF attached with "result ready" is stored at the center like a
scan, goes down to the point (the events in a parcel, the bytes fetched by hash over a live link,
only by the point that owns the dossier), and shows on the clerk's page; a bad file, or a dossier
not ready for a result, records nothing."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD, add_point, received, stamp, transitioned

from tests.conftest import pdf_bytes, png_bytes
from tests.test_carrier_contract import Link

NOW = datetime(2026, 3, 5, 12, 0)
RESULT = pdf_bytes("giay khai sinh ban chinh")


def _blobs(data_dir):
    from central.blobstore import CenterBlobs
    from motcua.objectstore import FolderStore
    return CenterBlobs(FolderStore(data_dir))


@pytest.fixture(params=["http", "in_process", "folder"])
def link(request, tmp_path):
    link = Link(request.param, tmp_path)
    yield link
    link.close()


def test_the_result_goes_down_to_the_point_over_a_live_link(link):
    from central import dossiers, results
    from node import reception
    from node.models import Attachment as NodeAttachment
    from node.scans import BlobStore
    (code,) = link.receive(1)
    link.sync()
    dossiers.transition(code, 4, "hoa@central")
    results.result_ready(code, RESULT, "../../giay-khai-sinh.pdf", "hoa@central",
                         _blobs(link.center_dir), max_bytes=10**6)
    sha = hashlib.sha256(RESULT).hexdigest()
    assert sha in link.center_blobs()
    reports = link.sync()
    d = reception.get_dossier(code)
    assert d.status == 9                                     # the decision came down either way
    rows = list(NodeAttachment.select().where(NodeAttachment.dossier == d.id))
    if link.live:
        assert [(a.requirement_key, a.filename, a.sha256) for a in rows] == \
            [("ket-qua", "giay-khai-sinh.pdf", sha)]         # the name lost its path
        assert BlobStore(link.node / "scans").read(sha) == RESULT
        assert sum(r.counts.get("files_down", 0) for r in reports) == 1
        assert link.round().counts.get("files_down", 0) == 0          # fetched once
    else:
        assert rows == []                   # a stick carries no file: it waits for a live round


def test_a_point_reads_only_files_on_its_own_dossiers(central_app):
    from central import dossiers, results
    from motcua.errors import InvalidInput, NotFound
    add_point()
    add_point("07027", "Minh Châu")
    _load([received("d1", hlc=stamp(1_772_000_000_000), code="07024-260302-0001"),
           transitioned("d1", 2, 4, stamp(1_772_000_001_000))])
    blobs = _blobs(central_app.config["DATA_DIR"])
    results.result_ready("07024-260302-0001", RESULT, "kq.pdf", "hoa@central", blobs,
                         max_bytes=10**6, now=NOW)
    d = dossiers.get_dossier("07024-260302-0001")
    assert d.status == 9 and d.scan_count == 0          # a result file is no scan of the papers
    from central.stats import compute_dashboard
    assert compute_dashboard(None, None, now=NOW)["intake"]["digitised"] == 0
    sha = hashlib.sha256(RESULT).hexdigest()
    assert results.file_for_point(sha, "07024", blobs) == RESULT
    with pytest.raises(NotFound):
        results.file_for_point(sha, "07027", blobs)
    with pytest.raises(NotFound):
        results.file_for_point("f" * 64, "07024", blobs)
    with pytest.raises(InvalidInput):
        results.file_for_point("../../keys", "07024", blobs)


def _load(events, source="07024"):
    from central.apply import apply_events
    from central.db import write_transaction
    with write_transaction():
        apply_events(events, source_point=source, now=NOW)


def test_a_bad_file_or_a_dossier_not_ready_records_nothing(central_app):
    from central import results
    from central.models import Attachment, Event
    from motcua.errors import Conflict, InvalidInput, TooLarge
    add_point()
    _load([received("d1", hlc=stamp(1_772_000_000_000), code="07024-260302-0001")])   # status 2
    blobs = _blobs(central_app.config["DATA_DIR"])
    for data, error in [(b"", InvalidInput), (png_bytes(500), InvalidInput),
                        (b"%PDF-" + b"x" * 2000, TooLarge)]:
        with pytest.raises(error):
            results.result_ready("07024-260302-0001", data, "a.pdf", "hoa@central", blobs,
                                 max_bytes=1000)
    with pytest.raises(Conflict) as refused:
        results.result_ready("07024-260302-0001", RESULT, "a.pdf", "hoa@central", blobs,
                             max_bytes=10**6)
    assert "Đã có kết quả" in refused.value.message_vi
    assert not Attachment.select().exists()
    assert not Event.select().where(Event.origin == "central").exists()


def test_the_officer_uploads_the_result_with_the_decision(central_app, monkeypatch):
    from central.models import Attachment
    from central.users import add_user
    monkeypatch.setattr("motcua.legaltime.now", lambda: NOW)
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    add_point()
    _load([received("d1", hlc=stamp(1_772_000_000_000), code="07024-260302-0001"),
           transitioned("d1", 2, 4, stamp(1_772_000_001_000))])
    client = central_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "hoa", "password": OFFICER_PASSWORD,
                                "csrf_token": token})
    page = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert 'id="result-file"' in page and 'enctype="multipart/form-data"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    import io
    bad = client.post("/dossiers/07024-260302-0001/transition", content_type="multipart/form-data",
                      data={"csrf_token": token, "to": "9",
                            "result_file": (io.BytesIO(png_bytes()), "anh.png")})
    assert bad.status_code == 422 and "PDF" in bad.get_data(as_text=True)
    r = client.post("/dossiers/07024-260302-0001/transition", content_type="multipart/form-data",
                    data={"csrf_token": token, "to": "9",
                          "result_file": (io.BytesIO(RESULT), "ket-qua.pdf")})
    assert r.status_code == 302
    (a,) = Attachment.select()
    assert (a.requirement, a.filename, a.present) == ("ket-qua", "ket-qua.pdf", True)
    shown = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert "ket-qua.pdf" in shown
    assert client.get(f"/dossiers/07024-260302-0001/scans/{a.sha256}").data == RESULT
