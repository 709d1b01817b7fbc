"""The conflict and USB pages in English: headings, buttons and help come from `webui.i18n.WORDS`,
so an English session sees none of their Vietnamese; Vietnamese stays the default. Words from the
domain (errors, report lines, progress) stay Vietnamese and are not checked here."""
from __future__ import annotations

import pytest

from tests.test_node_conflicts import _conflict_id, clash, clerk  # noqa: F401 - fixtures
from tests.test_webui import HTML
from webui.i18n import WORDS

CONFLICT_LIST = ("cf_waiting", "cf_list_help", "cf_kind", "cf_dossier", "cf_side_a", "cf_side_b",
                 "cf_review", "cf_kind_concurrent_transition")
CONFLICT_PAGE = ("cf_all", "cf_dossier", "cf_current_status", "cf_provisional", "cf_side_a",
                 "cf_side_b", "cf_where", "cf_who", "cf_when", "cf_action", "cf_version_status",
                 "cf_decision", "cf_decide_help", "cf_note", "cf_right_status", "cf_decision_keep_a",
                 "cf_decision_keep_b", "cf_decision_value", "cf_kind_concurrent_transition")
USB_PAGE = ("usb_title", "usb_intro_1", "usb_intro_2", "usb_intro_3", "usb_export", "usb_import",
            "usb_folder", "usb_max_mb", "usb_max_mb_hint", "usb_exporting", "usb_done",
            "usb_summary", "usb_went", "usb_left", "usb_verify", "usb_folder_arg")


def _english(client):
    client.post("/language", data={"csrf_token": client.csrf, "lang": "en", "back": "/today"})


def _shows(page: str, keys, lang: str) -> None:
    import html
    text = html.unescape(page)
    for key in keys:
        vi, en = WORDS[key]
        assert (vi if lang == "vi" else en) in text, (key, lang)
        if lang == "en":
            assert vi not in text, (key, vi)


def test_every_new_word_has_english():
    for key, (vi, en) in WORDS.items():
        if key.startswith(("cf_", "usb_")):
            assert vi and en and vi != en, key


def test_conflict_kinds_and_decisions_keep_the_domain_s_vietnamese():
    from sync.conflict_view import DECISION_LABELS_VI, KIND_LABELS_VI
    for kind, label in KIND_LABELS_VI.items():
        assert WORDS[f"cf_kind_{kind}"][0] == label
    for decision, label in DECISION_LABELS_VI.items():
        assert WORDS[f"cf_decision_{decision}"][0] == label


def test_conflict_pages_in_english(clash, clerk):
    cid = _conflict_id(clash)
    listing, page = clerk.get("/conflicts/").text, clerk.get(f"/conflicts/{cid}").text
    _shows(listing, CONFLICT_LIST, "vi")
    _shows(page, CONFLICT_PAGE, "vi")
    assert "Trung tâm" in page and "Đã có kết quả" in page           # point name and status label

    _english(clerk)
    listing, page = clerk.get("/conflicts/").text, clerk.get(f"/conflicts/{cid}").text
    _shows(listing, CONFLICT_LIST, "en")
    _shows(page, CONFLICT_PAGE, "en")
    assert "Conflicts waiting for a person" in listing and "Review and decide" in listing
    assert "<h2>Version A</h2>" in page and ">Keep version B</button>" in page
    assert "Center" in page and "Trung tâm" not in page
    assert "Result ready" in page and "Đã có kết quả" not in page     # statuses in English too


def test_resolved_conflict_in_english(clash, clerk):
    cid = _conflict_id(clash)
    _english(clerk)
    r = clerk.post(f"/conflicts/{cid}/resolve", headers=HTML,
                   data={"csrf_token": clerk.csrf, "decision": "keep_b"})
    assert r.status_code == 302
    shown = clerk.get(r.location).text
    assert "Decision recorded" in shown and "Resolved: Keep version B" in shown
    assert "Giữ phiên bản B" not in shown
    empty = clerk.get("/conflicts/").text
    assert "No conflicts are waiting." in empty and WORDS["cf_none"][0] not in empty


@pytest.fixture
def finished_job(app):
    """A finished export as the USB page would show it (the transfer itself is test_ferry's)."""
    from sync.folder import FerryReport
    from webui.desk.ferry import FerryJob
    job = FerryJob("export", "/media/usb")
    job.state, job.report = "done", FerryReport(went=["1 gói hồ sơ"], left=["2 mảnh tệp quét"])
    app.extensions["motcua.ferry_job"] = job
    return job


def test_usb_page_in_english(finished_job, clerk):
    page = clerk.get("/usb").text
    _shows(page, USB_PAGE, "vi")
    _english(clerk)
    page = clerk.get("/usb").text
    _shows(page, USB_PAGE, "en")
    assert "<h2>Export to USB</h2>" in page and ">Import from USB</button>" in page
    assert "Written to the stick: 1 gói hồ sơ" in page          # the report line itself stays
    token = clerk.csrf
    flashed = clerk.post("/usb/export", data={"folder": "relative/path", "csrf_token": token},
                         follow_redirects=True).text
    assert "Enter the full path to the USB folder" in flashed and "đường dẫn đầy đủ" not in flashed
    flashed = clerk.post("/usb/export", data={"folder": "/", "max_mb": "many", "csrf_token": token},
                         follow_redirects=True).text
    assert "The size limit must be a number (MB)." in flashed
