"""The officers' pages at the center: login, conflict list, side-by-side page, CSRF, the decision."""
from __future__ import annotations

from datetime import datetime
from functools import partial

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import (
    OFFICER_PASSWORD,
    add_point,
    csrf as _csrf,
    load,
    login as _login,
    received,
    stamp,
    transitioned,
)

T0 = 1_772_000_000_000
NOW = datetime(2026, 3, 5, 12, 0)


_load = partial(load, now=NOW)      # apply events as a point's, at NOW


@pytest.fixture
def clash(central_app):
    """Point 07024 withdraws (4→7) while the center marks the result ready (4→9)."""
    from central.apply import record_center_event
    from central.models import ConflictRecord
    from central.users import add_user
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    add_point()
    _load([received("d1", hlc=stamp(T0), code="07024-260302-0001"),
           transitioned("d1", 2, 4, stamp(T0 + 1000))])
    record_center_event("dossier.transitioned", "d1", "hoa@central",
                        {"from": 4, "to": 9, "at": NOW.isoformat()}, now=NOW)
    _load([transitioned("d1", 4, 7, stamp(T0 + 500_000))])
    return ConflictRecord.get().conflict_id


def test_anonymous_goes_to_login_and_bad_password_refused(clash, central_app):
    client = central_app.test_client()
    r = client.get("/conflicts/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    page = client.get("/login").get_data(as_text=True)
    bad = client.post("/login", data={"username": "hoa", "password": "sai",
                                      "csrf_token": _csrf(page)})
    assert bad.status_code == 401 and "Sai tên đăng nhập" in bad.get_data(as_text=True)
    cookie = client.get_cookie("motcua_center_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_list_and_side_by_side(clash, central_app):
    client = _login(central_app.test_client())
    listing = client.get("/conflicts/").get_data(as_text=True)
    assert "Hai bên cùng chuyển trạng thái" in listing and "07024-260302-0001" in listing
    r = client.get(f"/conflicts/{clash}")
    assert r.status_code == 200 and "default-src 'self'" in r.headers["Content-Security-Policy"]
    html = r.get_data(as_text=True)
    a = html[html.index('id="side-a"'):html.index('id="side-b"')]
    b = html[html.index('id="side-b"'):]
    assert "Quan Lạn" in a and "lan@07024" in a and "Công dân xin rút hồ sơ" in a
    assert "Trung tâm" in b and "hoa@central" in b and "Đã có kết quả" in b
    assert html.count('name="decision"') == 3 and '<select id="status"' in html


def test_csrf_refused_without_token(clash, central_app):
    from central.models import ConflictRecord
    client = _login(central_app.test_client())
    r = client.post(f"/conflicts/{clash}/resolve", data={"decision": "keep_b"})
    assert r.status_code == 400 and "text/html" in r.content_type
    assert ConflictRecord.get().is_open


def test_resolve_form_keep_b_and_value_error(clash, central_app):
    from central.models import ConflictRecord, Dossier
    client = _login(central_app.test_client())
    token = _csrf(client.get(f"/conflicts/{clash}").get_data(as_text=True))
    bad = client.post(f"/conflicts/{clash}/resolve",
                      data={"decision": "value", "status": "99", "csrf_token": token})
    assert bad.status_code == 422 and 'id="resolve-error"' in bad.get_data(as_text=True)
    assert ConflictRecord.get().is_open
    r = client.post(f"/conflicts/{clash}/resolve",
                    data={"decision": "keep_b", "note": "Đã trả kết quả", "csrf_token": token})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="resolved"' in page and "Giữ phiên bản B" in page
    assert not ConflictRecord.get().is_open and Dossier.get().status == 9
    again = client.post(f"/conflicts/{clash}/resolve",
                        data={"decision": "keep_a", "csrf_token": token})
    assert again.status_code == 409
    assert "Không có xung đột nào" in client.get("/conflicts/").get_data(as_text=True)


def test_value_form_sets_status(clash, central_app):
    from central.models import Dossier
    client = _login(central_app.test_client())
    token = _csrf(client.get(f"/conflicts/{clash}").get_data(as_text=True))
    r = client.post(f"/conflicts/{clash}/resolve",
                    data={"decision": "value", "status": "8", "csrf_token": token})
    assert r.status_code == 302 and Dossier.get().status == 8


def test_leader_reads_but_cannot_decide(clash, central_app):
    from central.models import ConflictRecord
    client = _login(central_app.test_client(), "lanh")
    html = client.get(f"/conflicts/{clash}").get_data(as_text=True)
    assert 'name="decision"' not in html and "chỉ xem" in html
    token = _csrf(html)
    r = client.post(f"/conflicts/{clash}/resolve", data={"decision": "keep_a", "csrf_token": token})
    assert r.status_code == 403 and ConflictRecord.get().is_open


def test_dossier_list_and_logout(clash, central_app):
    client = _login(central_app.test_client())
    html = client.get("/dossiers/?q=nguyen van an").get_data(as_text=True)
    assert "07024-260302-0001" in html and "Công dân xin rút hồ sơ" in html
    assert client.get("/conflicts/nope").status_code == 404
    token = _csrf(html)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/conflicts/").status_code == 302
    # the JSON API is untouched by the UI's guards
    assert client.get("/api/v1/conflicts").status_code == 401
