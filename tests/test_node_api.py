"""The node's JSON API on a real SQLite file: intake, search, transitions, scans."""
from __future__ import annotations

import hashlib

from tests.conftest import applicant, dossier_body, pdf_bytes, png_bytes, upload


def test_procedures_list_required_documents_with_ids(api):
    resp = api.get("/api/v1/procedures")
    assert resp.status_code == 200
    items = resp.get_json()["items"]
    assert len(items) == 14
    birth = next(p for p in items if p["code"] == "1.001193")
    assert [d["id"] for d in birth["required_documents"]][:2] == ["1.001193-d1", "1.001193-d2"]


def test_create_dossier_returns_code_and_due(api):
    resp = api.post("/api/v1/dossiers", json=dossier_body())
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["code"].startswith("07024-")
    assert body["status"] == 2
    assert body["due_at"] >= body["received_at"]
    detail = api.get(f"/api/v1/dossiers/{body['code']}").get_json()
    assert detail["applicant"]["full_name"] == "Nguyễn Văn An"
    assert [e["kind"] for e in detail["history"]] == ["dossier.received"]
    assert detail["sync"]["pending_events"] == 1


def test_nfd_input_is_stored_nfc(api):
    import unicodedata
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    code = api.post("/api/v1/dossiers", json=dossier_body(
        applicant=applicant(full_name=nfd, id_number="022185001234"))).get_json()["code"]
    name = api.get(f"/api/v1/dossiers/{code}").get_json()["applicant"]["full_name"]
    assert name == unicodedata.normalize("NFC", "Nguyễn Thị Hằng") and name != nfd


def test_search_accent_insensitive_by_name_id_phone_code(api):
    codes = {}
    for name, idn, phone in [("Nguyễn Văn An", "022085001234", "0912345678"),
                             ("Đặng Thị Đào", "022190004321", "0388111222"),
                             ("Lê Văn Bình", "022075009999", "0977000111")]:
        dob = {"0": "19", "1": "19"}[idn[3]] + idn[4:6] + "-01-01"
        codes[name] = api.post("/api/v1/dossiers", json=dossier_body(
            applicant=applicant(full_name=name, id_number=idn, phone=phone,
                                date_of_birth=dob))).get_json()["code"]

    def found(q):
        return {i["applicant_name"] for i in api.get("/api/v1/dossiers", query_string={"q": q})
                .get_json()["items"]}
    assert found("nguyen van an") == {"Nguyễn Văn An"}
    assert found("dang thi dao") == {"Đặng Thị Đào"}
    assert found("DAO") == {"Đặng Thị Đào"}
    assert found("022190004321") == {"Đặng Thị Đào"}
    assert found("+84 977 000 111") == {"Lê Văn Bình"}
    assert found(codes["Lê Văn Bình"]) == {"Lê Văn Bình"}
    assert found("van") == {"Nguyễn Văn An", "Lê Văn Bình"}
    assert found("khong co ai") == set()


def test_search_filters_by_status(api):
    a = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    api.post("/api/v1/dossiers", json=dossier_body())
    assert api.post(f"/api/v1/dossiers/{a}/transitions", json={"to": 4}).status_code == 200
    items = api.get("/api/v1/dossiers", query_string={"status": "4"}).get_json()["items"]
    assert [i["code"] for i in items] == [a]


def test_transition_allowed_and_refused(api):
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    refused = api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 10})
    assert refused.status_code == 409
    assert "Không thể chuyển" in refused.get_json()["error"]["message"]
    assert api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 4}).status_code == 200
    need_reason = api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 5})
    assert need_reason.status_code == 422
    ok = api.post(f"/api/v1/dossiers/{code}/transitions",
                  json={"to": 5, "reason": "Bổ sung giấy chứng sinh"})
    assert ok.get_json()["status"] == 5 and ok.get_json()["paused_at"]
    resumed = api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 4}).get_json()
    assert resumed["paused_at"] is None and resumed["supplement_count"] == 1
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 9})
    done = api.post(f"/api/v1/dossiers/{code}/transitions",
                    json={"to": 10, "returned_to": "Nguyễn Văn An"}).get_json()
    assert done["status"] == 10 and done["returned_to"] == "Nguyễn Văn An"
    kinds = [e["payload"].get("to") for e in done["history"] if e["kind"] == "dossier.transitioned"]
    assert kinds == [4, 5, 4, 9, 10]


def test_correct_applicant_journals_only_changed_fields(api):
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    resp = api.patch(f"/api/v1/dossiers/{code}", json={"applicant": {"phone": "+84 88 999 1234"}})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["applicant"]["phone"] == "0889991234"
    assert body["history"][-1]["payload"] == {"fields": {"applicant.phone": "0889991234"}}


def test_attachments_stored_content_addressed(api, app):
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    data = png_bytes(5000)
    resp = upload(api, code, data)
    assert resp.status_code == 201
    sha = resp.get_json()["sha256"]
    assert sha == hashlib.sha256(data).hexdigest()
    path = app.extensions["motcua.blobs"].path_for(sha)
    assert path.read_bytes() == data
    assert "static" not in str(path)
    got = api.get(f"/api/v1/dossiers/{code}/attachments/{sha}")
    assert got.status_code == 200 and got.data == data and got.mimetype == "image/png"
    assert upload(api, code, pdf_bytes(), requirement="1.001193-d2").status_code == 201
    detail = api.get(f"/api/v1/dossiers/{code}").get_json()
    assert {a["requirement"] for a in detail["attachments"]} == {"1.001193-d1", "1.001193-d2"}


def test_attachment_type_and_size_refused(api, app):
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    exe = upload(api, code, b"MZ\x90\x00" + b"\x00" * 100, filename="virus.png")
    assert exe.status_code == 422 and exe.get_json()["error"]["code"] == "unsupported_file_type"
    big = upload(api, code, b"%PDF-" + b"0" * (2 * 1024 * 1024 + 10))
    assert big.status_code == 413
    wrong_req = upload(api, code, png_bytes(), requirement="1.000656-d1")
    assert wrong_req.status_code == 422
    detail = api.get(f"/api/v1/dossiers/{code}").get_json()
    assert detail["attachments"] == [] and len(detail["history"]) == 1
    assert not list(app.extensions["motcua.blobs"].root.glob("*/*"))


def test_requires_token(app):
    client = app.test_client()
    resp = client.get("/api/v1/dossiers")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["message"].startswith("Thiếu mã truy cập")
    bad = client.get("/api/v1/dossiers", headers={"Authorization": "Bearer mc_nope"})
    assert bad.status_code == 401


def test_rating_scale_is_a_setting(node_dir):
    """The satisfaction scale is not fixed by law: a point may run another one."""
    from motcua.apps import create_node_app
    from node.users import add_user, create_token
    app = create_node_app({"DATA_DIR": str(node_dir), "TESTING": True,
                           "RATING_SCALE": {"tot": "Tốt", "chua_tot": "Chưa tốt"}})
    add_user("lan", "mat-khau-dai-1", "clerk")
    headers = {"Authorization": f"Bearer {create_token('lan')}"}
    client = app.test_client()
    code = client.post("/api/v1/dossiers", json=dossier_body(), headers=headers).get_json()["code"]
    for step in (4, 9):
        client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": step}, headers=headers)
    default = client.post(f"/api/v1/dossiers/{code}/rating", json={"rating": "satisfied"},
                          headers=headers)
    assert default.status_code == 422 and "Tốt, Chưa tốt" in default.get_json()["error"]["message"]
    ok = client.post(f"/api/v1/dossiers/{code}/rating", json={"rating": "tot"}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["rating"] == "tot"
