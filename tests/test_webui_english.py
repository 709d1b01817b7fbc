"""The conflict and USB pages in English: headings, buttons and help come from the English gettext
catalogue, so an English session sees none of their Vietnamese; Vietnamese stays the default. Words from the
domain (errors, report lines, progress) stay Vietnamese and are not checked here."""
from __future__ import annotations

import pytest

from tests.test_node_conflicts import _conflict_id, clash, clerk  # noqa: F401 - fixtures
from tests.test_webui import HTML

WORDS = {   # the words these pages must show, as (Vietnamese, English): the .po's pairs
    'cf_action': ('Thao tác',
                 'Action'),
    'cf_all': ('← Danh sách xung đột',
              '← All conflicts'),
    'cf_current_status': ('trạng thái hiện tại',
                         'current status'),
    'cf_decide_help': ('Phiên bản A là bản máy tạm giữ (ghi trước theo đồng hồ). Quyết định được ghi vào nhật ký, gửi lên trung tâm ở lần đồng bộ tới, và đóng xung đột ở cả hai nơi.',
                      'Version A is the one kept for now (recorded first by the clock). The decision is written to the log, sent to the center at the next sync, and closes the conflict in both places.'),
    'cf_decision': ('Quyết định',
                   'Decision'),
    'cf_decision_keep_a': ('Giữ phiên bản A',
                          'Keep version A'),
    'cf_decision_keep_b': ('Giữ phiên bản B',
                          'Keep version B'),
    'cf_decision_value': ('Nhập giá trị đúng',
                         'Enter the correct value'),
    'cf_dossier': ('Hồ sơ',
                  'Dossier'),
    'cf_kind': ('Loại',
               'Kind'),
    'cf_kind_concurrent_transition': ('Hai bên cùng chuyển trạng thái',
                                     'Both sides changed the status'),
    'cf_list_help': ('Máy không tự quyết được những trường hợp này: hai bên (điểm tiếp nhận và trung tâm) đã ghi khác nhau. Hồ sơ đang theo kết quả tạm thời cho đến khi một người quyết định, ở đây hoặc tại trung tâm.',
                    'The computer cannot settle these by itself: the two sides (this point and the center) recorded different things. The dossier follows a provisional result until a person decides, here or at the center.'),
    'cf_none': ('Không có xung đột nào đang chờ.',
               'No conflicts are waiting.'),
    'cf_note': ('Ghi chú (không bắt buộc)',
               'Note (optional)'),
    'cf_provisional': ('(tạm thời)',
                      '(provisional)'),
    'cf_review': ('Xem và quyết định',
                 'Review and decide'),
    'cf_right_status': ('Trạng thái đúng',
                       'Correct status'),
    'cf_side_a': ('Phiên bản A',
                 'Version A'),
    'cf_side_b': ('Phiên bản B',
                 'Version B'),
    'cf_version_status': ('Trạng thái theo phiên bản này',
                         'Status under this version'),
    'cf_waiting': ('Xung đột chờ người quyết định',
                  'Conflicts waiting for a person'),
    'cf_when': ('Thời điểm',
               'Time'),
    'cf_where': ('Nơi ghi',
                'Recorded at'),
    'cf_who': ('Người ghi',
              'Recorded by'),
    'usb_done': ('Xong.',
                'Done.'),
    'usb_export': ('Xuất ra USB',
                  'Export to USB'),
    'usb_exporting': ('Xuất ra',
                     'Export to'),
    'usb_folder': ('Thư mục USB trên máy này',
                  'USB folder on this PC'),
    'usb_folder_arg': ('thư mục USB',
                      'USB folder'),
    'usb_import': ('Nhập từ USB',
                  'Import from USB'),
    'usb_intro_1': ('Khi mất mạng lâu ngày:',
                   'When the network is down for days:'),
    'usb_intro_2': ('trước khi gửi USB lên trung tâm; khi USB về,',
                   'before sending the stick to the center; when it comes back,'),
    'usb_intro_3': ('Dữ liệu trên USB đã được mã hóa; tên tệp không chứa thông tin công dân. Một USB dùng chung cho nhiều xã: máy này chỉ đọc phần của mình và để nguyên phần của xã khác.',
                   "The data on the stick is encrypted; file names carry no citizen's details. One stick can serve several communes: this PC reads only its own part and leaves the others' untouched."),
    'usb_left': ('Còn lại cho chuyến sau',
                'Left for the next trip'),
    'usb_max_mb': ('Giới hạn dung lượng, MB',
                  'Size limit, MB'),
    'usb_max_mb_hint': ('(để trống: chép hết những gì vừa)',
                       '(leave empty: copy all that fits)'),
    'usb_summary': ('Tóm tắt',
                   'Summary'),
    'usb_title': ('Mang dữ liệu bằng USB',
                 'Carry data on a USB stick'),
    'usb_verify': ('Kiểm tra USB mà không nhập (không cần khóa bí mật):',
                  'Check a stick without importing it (no secret key needed):'),
    'usb_went': ('Đã ghi ra USB',
                'Written to the stick'),
}

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


def test_help_and_dossier_pages_in_english(clerk):
    """The help page and a dossier's page (its forms' links, tracking book, history) once held
    Vietnamese outside the catalogue; in English none of it shows, the commands stay as typed."""
    import html

    from node import reception
    from tests.conftest import dossier_body
    d = reception.receive_dossier(dossier_body(), "lan")
    help_vi = html.unescape(clerk.get("/help").text)
    assert "Khi mất mạng" in help_vi and "Nhập từ USB" in help_vi
    _english(clerk)
    help_en = html.unescape(clerk.get("/help").text)
    assert "When the network is down" in help_en and "Khi mất mạng" not in help_en
    assert "motcua node export --to <folder>" in help_en and "thư mục" not in help_en
    page = html.unescape(clerk.get(f"/dossiers/{d.code}").text)
    assert "01 Receipt and appointment" in page and "05 Control sheet" in page
    assert f"Volume {d.book_volume}, no. {d.book_number}" in page and "Quyển" not in page
    assert "New dossier" in page and "Giấy tiếp nhận" not in page
