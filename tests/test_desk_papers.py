"""Papers after saving, from the dossier page: scans added, replaced and removed per required
document (each journaled), and a supplement received with its papers (5 → 4, the clock restarts)."""
from __future__ import annotations

import io
import re

from node.journal import dossier_history
from node.models import Dossier
from tests.conftest import dossier_body, pdf_bytes, png_bytes
from tests.test_webui import clerk, client  # noqa: F401 - fixtures

KEY = "1.001193-d1"


def _saved(api) -> str:
    return api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]


def _post_scan(clerk, code, key=KEY, data=None, name="giay.png", **extra):
    return clerk.post(f"/dossiers/{code}/scans", data={
        "csrf_token": clerk.csrf, "requirement": key,
        f"scan-{key}": [(io.BytesIO(data or png_bytes()), name)], **extra},
        content_type="multipart/form-data")


def test_dossier_page_offers_a_labelled_scan_input_per_required_document(clerk, api):
    code = _saved(api)
    page = clerk.get(f"/dossiers/{code}").text
    for key in (KEY, "1.001193-d2"):
        assert re.search(rf'<label for="add-scan-{re.escape(key)}">', page)
        assert f'id="add-scan-{key}" name="scan-{key}"' in page


def test_scans_are_added_replaced_and_removed_after_saving(clerk, api):
    code = _saved(api)
    resp = _post_scan(clerk, code, name="to-khai.png")
    assert resp.status_code == 302 and resp.location.endswith("#papers")
    page = clerk.get(f"/dossiers/{code}").text
    assert "to-khai.png" in page and "Đã lưu bản quét." in page
    sha = re.search(rf'/dossiers/{code}/scans/([0-9a-f]{{64}})"', page).group(1)

    _post_scan(clerk, code, data=pdf_bytes(), name="to-khai-moi.pdf", replace=sha)
    page = clerk.get(f"/dossiers/{code}").text
    assert "to-khai-moi.pdf" in page and "to-khai.png" not in page.split('id="history"')[0]
    new_sha = re.search(rf'/dossiers/{code}/scans/([0-9a-f]{{64}})"', page).group(1)

    clerk.post(f"/dossiers/{code}/scans/{new_sha}/remove", data={"csrf_token": clerk.csrf})
    page = clerk.get(f"/dossiers/{code}").text
    assert f"/scans/{new_sha}\"" not in page
    kinds = [e.kind for e in dossier_history(Dossier.get(code=code).uid)]
    assert kinds.count("attachment.added") == 2 and kinds.count("attachment.removed") == 2


def test_a_bad_file_after_saving_is_refused_with_its_name_and_nothing_changes(clerk, api):
    code = _saved(api)
    resp = _post_scan(clerk, code, data=b"not a scan at all", name="virus.exe")
    assert resp.status_code == 302
    page = clerk.get(f"/dossiers/{code}").text
    assert "virus.exe" in page and "PDF, JPEG, PNG" in page
    assert "attachment.added" not in [e.kind for e in dossier_history(Dossier.get(code=code).uid)]


def test_supplement_received_with_its_papers_restarts_processing(clerk, api):
    code = _saved(api)
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 4})
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 5, "reason": "Bản sao giấy chứng sinh"})
    page = clerk.get(f"/dossiers/{code}").text
    assert 'id="act-supplement"' in page and "Bản sao giấy chứng sinh" in page
    assert 'for="sup-1.001193-d2"' in page
    resp = clerk.post(f"/dossiers/{code}/supplement", data={
        "csrf_token": clerk.csrf, "reason": "Đã nhận bản sao",
        "scan-1.001193-d2": [(io.BytesIO(png_bytes(seed=3)), "chung-sinh.png")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    d = Dossier.get(code=code)
    assert d.status == 4 and d.paused_at is None
    assert [a.filename for a in d.attachments] == ["chung-sinh.png"]
    assert "Đã nhận bổ sung" in clerk.get(f"/dossiers/{code}").text


def test_supplement_with_a_bad_file_records_nothing(clerk, api):
    code = _saved(api)
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 4})
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 5, "reason": "Thiếu tờ khai"})
    clerk.post(f"/dossiers/{code}/supplement", data={
        "csrf_token": clerk.csrf, "scan-1.001193-d1": [(io.BytesIO(png_bytes()), "ok.png")],
        "scan-1.001193-d2": [(io.BytesIO(b"junk"), "hong.doc")]}, content_type="multipart/form-data")
    d = Dossier.get(code=code)
    assert d.status == 5 and not list(d.attachments)
    assert "hong.doc" in clerk.get(f"/dossiers/{code}").text


def test_supplement_only_when_waiting_for_papers(clerk, api):
    code = _saved(api)
    clerk.post(f"/dossiers/{code}/supplement", data={"csrf_token": clerk.csrf},
               content_type="multipart/form-data")
    assert Dossier.get(code=code).status == 2
    assert "không ở trạng thái chờ bổ sung" in clerk.get(f"/dossiers/{code}").text


# ---- errors on the intake form --------------------------------------------------------------

def test_a_bad_scan_does_not_hide_field_errors_and_good_scans_are_kept(clerk):
    from tests.test_webui import intake_form
    form = intake_form(clerk.csrf, phone="12345", full_name="",
                       **{"scan-1.001193-d1": [(io.BytesIO(b"junk"), "hong.doc")],
                          "scan-1.001193-d2": [(io.BytesIO(png_bytes()), "chung-sinh.png")]})
    resp = clerk.post("/dossiers/new/1.001193", data=form, content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.text
    for err in ("err-full_name", "err-phone", "err-scan-1.001193-d1"):
        assert f'id="{err}"' in html, err
    assert "hong.doc" in html and 'name="staged-1.001193-d2"' in html     # the good scan is kept
    # Focus goes to the first error in the form's order, and it is described by its message.
    assert re.search(r'id="f-full_name"[^>]*autofocus[^>]*aria-invalid="true" '
                     r'aria-describedby="err-full_name"', html)
    assert len(re.findall(r"\bautofocus\b", html)) == 1
    assert re.search(r'id="scan-1.001193-d1"[^>]*aria-invalid="true"', html)
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#f-full_name"' in summary and 'href="#scan-1.001193-d1"' in summary


def test_intake_fields_are_required_files_labelled_and_nothing_pre_ticked(clerk):
    html = clerk.get("/dossiers/new/1.001193").text
    for name in ("full_name", "id_number", "date_of_birth", "phone", "address"):
        assert re.search(rf'id="f-{name}"[^>]*\brequired\b', html), name
    assert not re.search(r'id="f-email"[^>]*\brequired\b', html)
    for file_id in re.findall(r'<input type="file"[^>]*id="([^"]+)"', html):
        assert f'<label for="{file_id}"' in html, file_id
    assert not re.search(r'name="has-[^"]+" value="1" checked', html)
    # The save button comes after the checklist, so Tab reaches the scans before Save.
    assert html.index('id="scan-1.001193-d1"') < html.index('id="save"')


# ---- irreversible actions -------------------------------------------------------------------

def test_withdrawal_asks_for_a_reason_and_a_confirmation_naming_the_consequence(clerk, api):
    code = _saved(api)
    page = clerk.get(f"/dossiers/{code}").text
    form = page.split('id="act-7"')[1].split("</form>")[0]
    assert "Không hoàn tác được." in form and "không quay lại xử lý được" in form
    assert 'class="danger"' in form and re.search(r'name="reason"[^>]*required', form)
    assert re.search(r'name="confirm"[^>]*required', form)
    assert 'class="action irreversible"' in page.split('id="act-7"')[0].rsplit("<form", 1)[1]

    url, base = f"/dossiers/{code}/transition", {"csrf_token": clerk.csrf, "to": "7"}
    clerk.post(url, data=base)                                          # one click: refused
    assert Dossier.get(code=code).status == 2
    assert "Hãy ghi lý do: thao tác này không hoàn tác được." in clerk.get(f"/dossiers/{code}").text
    clerk.post(url, data={**base, "reason": "Công dân đổi ý"})            # no confirmation: refused
    assert Dossier.get(code=code).status == 2
    assert "Hãy đánh dấu xác nhận" in clerk.get(f"/dossiers/{code}").text
    clerk.post(url, data={**base, "reason": "Công dân đổi ý", "confirm": "1"})
    d = Dossier.get(code=code)
    assert d.status == 7 and d.last_reason == "Công dân đổi ý"
    assert 'class="action irreversible" id="act-8"' in clerk.get(f"/dossiers/{code}").text


# ---- the citizen rates, not the clerk ---------------------------------------------------------

def _with_result(api) -> str:
    code = _saved(api)
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 4})
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 9})
    return code


def test_the_citizen_rates_on_the_tablet_view_with_nothing_preselected_and_once(clerk, api):
    code = _with_result(api)
    page = clerk.get(f"/dossiers/{code}").text
    assert f'href="/dossiers/{code}/rate"' in page
    # The clerk's own select (a paper form typed in) preselects nothing either.
    select = page.split('id="rating"')[1].split("</select>")[0]
    assert "selected" not in select and '<option value="">' in select and "required" in select
    tablet = clerk.get(f"/dossiers/{code}/rate")
    assert tablet.status_code == 200 and code in tablet.text
    assert 'id="sync-badge"' not in tablet.text and 'accesskey="n"' not in tablet.text  # no menus
    assert tablet.text.count('name="rating"') == 3 and "checked" not in tablet.text
    empty = clerk.post(f"/dossiers/{code}/rate", data={"csrf_token": clerk.csrf})
    assert empty.status_code == 422 and Dossier.get(code=code).rating is None
    assert 'name="rating"' in empty.text                          # asked again, nothing chosen
    done = clerk.post(f"/dossiers/{code}/rate", data={"csrf_token": clerk.csrf,
                                                       "rating": "not_satisfied"})
    assert 'id="rate-done"' in done.text and Dossier.get(code=code).rating == "not_satisfied"
    again = clerk.post(f"/dossiers/{code}/rate", data={"csrf_token": clerk.csrf,
                                                        "rating": "very_satisfied"})
    assert again.status_code == 422 and Dossier.get(code=code).rating == "not_satisfied"
    clerk.post(f"/dossiers/{code}/rating", data={"csrf_token": clerk.csrf, "rating": "satisfied"})
    assert Dossier.get(code=code).rating == "not_satisfied"       # the clerk cannot overwrite it
    assert 'id="act-rating"' not in clerk.get(f"/dossiers/{code}").text


def test_the_tablet_view_refuses_before_a_result(clerk, api):
    code = _saved(api)
    resp = clerk.post(f"/dossiers/{code}/rate", data={"csrf_token": clerk.csrf, "rating": "satisfied"})
    assert resp.status_code == 422 and "khi hồ sơ đã có kết quả" in resp.text
    assert Dossier.get(code=code).rating is None and 'name="rating"' not in resp.text


def test_a_supplement_is_one_transaction_papers_and_move_or_nothing(clerk, api, monkeypatch):
    """A failure while the move back to processing is written leaves no scan journaled either."""
    import node.reception
    code = _saved(api)
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 4})
    api.post(f"/api/v1/dossiers/{code}/transitions", json={"to": 5, "reason": "Thiếu tờ khai"})
    real = node.reception.commit_one

    def failing(change, *args, **kwargs):
        if change.kind == "dossier.transitioned":
            raise OSError("disk gone mid-supplement")
        return real(change, *args, **kwargs)
    monkeypatch.setattr(node.reception, "commit_one", failing)
    store = clerk.application.extensions["motcua.blobs"]
    from node import papers
    try:
        papers.receive_supplement(code, [("1.001193-d1", png_bytes(seed=5), "to-khai.png")],
                                  "lan", store, max_bytes=10_000_000)
    except OSError:
        pass
    d = Dossier.get(code=code)
    assert d.status == 5 and not list(d.attachments)
    kinds = [e.kind for e in dossier_history(d.uid)]
    assert "attachment.added" not in kinds and kinds.count("dossier.transitioned") == 2
