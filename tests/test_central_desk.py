"""The officers' desk at the center: filtered list with due windows, the work list, the dossier page
(scans on their way, both sides' timeline, whether the point has the decision yet) and every
decision as a form that becomes a center event owed to the point."""
from __future__ import annotations

from datetime import datetime
from functools import partial

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import (
    OFFICER_PASSWORD,
    add_point,
    attached,
    csrf as _csrf,
    load,
    login as _login,
    received,
    stamp,
    transitioned,
)

T0 = 1_772_000_000_000
NOW = datetime(2026, 3, 5, 12, 0)          # a Thursday


_load = partial(load, now=NOW)      # apply events as a point's, at NOW


@pytest.fixture
def desk(central_app, monkeypatch):
    """Thursday noon, 5 March 2026, on the legal clock. Three dossiers at two points: one late,
    one due Monday, one due next month; one scan held, one still on its way from the island."""
    from central.models import Attachment
    from central.users import add_user
    monkeypatch.setattr("motcua.legaltime.now", lambda: NOW)
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    add_point()
    add_point("07027", "Minh Châu")
    _load([received("late0001", hlc=stamp(T0), code="07024-260302-0001", due_at="2026-03-04T16:00:00"),
           transitioned("late0001", 2, 4, stamp(T0 + 1000)),
           received("soon0002", hlc=stamp(T0 + 2000), code="07024-260302-0002",
                    due_at="2026-03-09T16:00:00", name="Trần Thị Bình", procedure="2.000001"),
           attached("soon0002", "a" * 64, stamp(T0 + 3000)),
           attached("soon0002", "b" * 64, stamp(T0 + 4000))])
    Attachment.update(present=True).where(Attachment.sha256 == "a" * 64).execute()
    _load([received("far00003", origin="07027", hlc=stamp(T0 + 5000), code="07027-260302-0001",
                    due_at="2026-04-09T16:00:00", name="Lê Văn Cường")], source="07027")
    return central_app


def test_list_filters_by_point_procedure_status_and_due_window(desk, monkeypatch):
    from central import desk as D
    page = D.find(due="late", now=NOW)
    assert [d.code for d in page.items] == ["07024-260302-0001"]
    # Thursday noon + 2 working days = Monday: due Monday 16:00 is "soon", a month away is not.
    assert [d.code for d in D.find(due="soon", now=NOW).items] == ["07024-260302-0002"]
    assert [d.code for d in D.find(point="07027", now=NOW).items] == ["07027-260302-0001"]
    assert [d.code for d in D.find(procedure="2.000001", now=NOW).items] == ["07024-260302-0002"]
    assert [d.code for d in D.find("tran thi binh", now=NOW).items] == ["07024-260302-0002"]
    assert [d.code for d in D.find(status="4", now=NOW).items] == ["07024-260302-0001"]
    client = _login(desk.test_client())
    html = client.get("/dossiers/?point=07024&q=binh").get_data(as_text=True)
    assert 'href="/dossiers/07024-260302-0002"' in html and "07027-260302-0001" not in html
    bad = client.get("/dossiers/?due=someday")
    assert bad.status_code == 422 and "text/html" in bad.content_type


def test_work_list_shows_late_and_due_soon(desk):
    from central import desk as D
    work = D.work_list(now=NOW)
    assert [d.code for d in work["late"]] == ["07024-260302-0001"]
    assert [d.code for d in work["soon"]] == ["07024-260302-0002"]
    client = _login(desk.test_client())
    assert client.get("/").headers["Location"].endswith("/dossiers/work")
    html = client.get("/dossiers/work").get_data(as_text=True)
    late = html[html.index('id="late"'):html.index('id="soon"')]
    assert "07024-260302-0001" in late and "07027-260302-0001" not in html


def test_dossier_page_says_which_scan_is_on_its_way(desk):
    client = _login(desk.test_client())
    r = client.get("/dossiers/07024-260302-0002")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Trần Thị Bình" in html
    scans = html[html.index('id="scans"'):]
    held, pending = scans.split("</li>")[0], scans.split("</li>")[1]
    assert f"/dossiers/07024-260302-0002/scans/{'a' * 64}" in held
    assert "đang trên đường" in pending and "1,2 KB" in pending
    missing = client.get(f"/dossiers/07024-260302-0002/scans/{'b' * 64}")
    assert missing.status_code == 404 and "chưa về đến trung tâm" in missing.get_data(as_text=True)
    nope = client.get("/dossiers/07024-260302-9999")
    assert nope.status_code == 404 and "text/html" in nope.content_type


def test_supplement_request_lists_items_and_waits_for_the_point(desk):
    from central import outbound
    from central.models import Dossier, Event
    client = _login(desk.test_client())
    page = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert 'id="act-5"' in page and 'id="act-9"' in page and 'id="act-3"' not in page
    token = _csrf(page)
    empty = client.post("/dossiers/07024-260302-0001/transition",
                        data={"to": "5", "items": "  \n", "csrf_token": token})
    assert empty.status_code == 422 and 'id="action-error"' in empty.get_data(as_text=True)
    assert Dossier.get(Dossier.uid == "late0001").status == 4
    r = client.post("/dossiers/07024-260302-0001/transition",
                    data={"to": "5", "items": "Bản sao sổ hộ khẩu\nẢnh 4x6", "csrf_token": token})
    assert r.status_code == 302
    ev = Event.get((Event.origin == "central") & (Event.dossier_uid == "late0001"))
    assert ev.kind == "dossier.transitioned" and ev.payload["to"] == 5
    assert ev.payload["reason"] == "1. Bản sao sổ hộ khẩu; 2. Ảnh 4x6"
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "chưa về đến điểm" in html and 'id="delivery" class="flash error"' in html
    # The point's receipt acknowledges it: the page says so.
    outbound.ack_outbound("07024", [ev.event_id], now=NOW)
    html = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert "điểm đã nhận" in html and "chưa về đến điểm" not in html


def test_payment_refusal_and_csrf(desk):
    from central.models import Dossier, Event
    client = _login(desk.test_client())
    token = _csrf(client.get("/dossiers/07024-260302-0001").get_data(as_text=True))
    assert client.post("/dossiers/07024-260302-0001/transition",
                       data={"to": "6", "what": "Lệ phí"}).status_code == 400      # no CSRF
    bad = client.post("/dossiers/07024-260302-0001/transition",
                      data={"to": "6", "what": "", "amount": "50k", "csrf_token": token})
    assert bad.status_code == 422
    ok = client.post("/dossiers/07024-260302-0001/transition",
                     data={"to": "6", "what": "Lệ phí cấp giấy", "amount": "50.000",
                           "csrf_token": token})
    assert ok.status_code == 302 and Dossier.get(Dossier.uid == "late0001").status == 6
    assert Event.select().where(Event.origin == "central").get().payload["reason"] == \
        "Lệ phí cấp giấy — 50.000 đồng"
    wrong = client.post("/dossiers/07024-260302-0001/transition",
                        data={"to": "10", "csrf_token": token})
    assert wrong.status_code == 409 and 'id="action-error"' in wrong.get_data(as_text=True)


def test_apology_with_new_date_once(desk):
    from central.models import Dossier, Event
    client = _login(desk.test_client())
    token = _csrf(client.get("/dossiers/07024-260302-0001").get_data(as_text=True))
    no_reason = client.post("/dossiers/07024-260302-0001/new-due",
                            data={"new_due_at": "12/03/2026 16:00", "csrf_token": token})
    assert no_reason.status_code == 422
    bad_date = client.post("/dossiers/07024-260302-0001/new-due",
                           data={"new_due_at": "mai", "reason": "Chờ xác minh", "csrf_token": token})
    assert bad_date.status_code == 422
    r = client.post("/dossiers/07024-260302-0001/new-due",
                    data={"new_due_at": "12/03/2026 16:00", "reason": "Chờ xác minh",
                          "csrf_token": token})
    assert r.status_code == 302
    assert Dossier.get(Dossier.uid == "late0001").due_at == datetime(2026, 3, 12, 16, 0)
    fields = Event.get(Event.origin == "central").payload["fields"]
    assert fields["apology.original_due_at"] == "2026-03-04T16:00:00"
    html = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert 'id="apology"' in html and 'id="act-newdue"' not in html
    again = client.post("/dossiers/07024-260302-0001/new-due",
                        data={"new_due_at": "20/03/2026 16:00", "reason": "Lần hai",
                              "csrf_token": token})
    assert again.status_code == 409


def test_leader_reads_but_cannot_act(desk):
    from central.models import Event
    client = _login(desk.test_client(), "lanh")
    html = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert 'id="act-5"' not in html and "chỉ xem" in html
    r = client.post("/dossiers/07024-260302-0001/transition",
                    data={"to": "9", "csrf_token": _csrf(html)})
    assert r.status_code == 403
    assert not Event.select().where(Event.origin == "central").exists()


def test_dossier_page_shows_the_procedures_own_fields(desk):
    """The birth registration's fields the point took (`details`), labelled as the catalogue the
    dossier was taken under says, dates as dd/mm/yyyy, in English after the switch; a key the
    center's catalogues do not declare still shows (under its key), escaped like any text."""
    ev = received("birth005", hlc=stamp(T0 + 9000), code="07024-260302-0005")
    ev.payload["details"] = {"child_full_name": "Nguyễn Minh Khang",
                             "child_date_of_birth": "2025-11-02", "child_sex": "Nam",
                             "child_place_of_birth": "", "ghi_chu": "<b>đêm</b>"}
    _load([ev])
    client = _login(desk.test_client())
    html = client.get("/dossiers/07024-260302-0005").get_data(as_text=True)
    facts = html[html.index("Họ và tên người được khai sinh"):]
    assert 'id="detail-child_full_name">Nguyễn Minh Khang<' in facts
    assert 'id="detail-child_date_of_birth">02/11/2025<' in facts
    assert "Ngày sinh của trẻ" in facts and 'id="detail-child_sex">Nam<' in facts
    assert "detail-child_place_of_birth" not in html                  # empty: skipped
    assert 'id="detail-ghi_chu">&lt;b&gt;đêm&lt;/b&gt;<' in html
    assert html.index("detail-child_full_name") < html.index("detail-child_date_of_birth")
    other = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert "detail-" not in other                                       # no details: nothing
    token = _csrf(html)
    client.post("/language", data={"lang": "en", "csrf_token": token})
    english = client.get("/dossiers/07024-260302-0005").get_data(as_text=True)
    assert "Child's date of birth" in english.replace("&#39;", "'")
