"""Assignment at the center: a dossier still with the office is given to an active officer (a
`dossier.corrected` of "assignee" that flows down like any decision), the officer's own work list
(assigned to me, late, due within two working days), and the form with its refusals."""
from __future__ import annotations

import re
from datetime import datetime
from functools import partial

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD, add_point, load, login as _login, received, stamp, transitioned

T0 = 1_772_000_000_000
NOW = datetime(2026, 3, 5, 12, 0)          # a Thursday


_load = partial(load, now=NOW)      # apply events as a point's, at NOW


@pytest.fixture
def office(central_app, monkeypatch):
    """Two officers, a leader, a disabled officer; three running dossiers (late, due Monday, due next
    month) and one with its result."""
    from central.users import add_user, disable_user
    monkeypatch.setattr("motcua.legaltime.now", lambda: NOW)
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    add_user("minh", OFFICER_PASSWORD, "officer", "Trần Văn Minh")
    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    add_user("cu", OFFICER_PASSWORD, "officer", "Cán Bộ Cũ")
    disable_user("cu")
    add_point()
    _load([received("late0001", hlc=stamp(T0), code="07024-260302-0001", due_at="2026-03-04T16:00:00"),
           transitioned("late0001", 2, 4, stamp(T0 + 1000)),
           received("soon0002", hlc=stamp(T0 + 2000), code="07024-260302-0002",
                    due_at="2026-03-09T16:00:00"),
           received("far00003", hlc=stamp(T0 + 3000), code="07024-260302-0003",
                    due_at="2026-04-09T16:00:00"),
           received("done0004", hlc=stamp(T0 + 4000), code="07024-260302-0004"),
           transitioned("done0004", 2, 4, stamp(T0 + 5000)),
           transitioned("done0004", 4, 9, stamp(T0 + 6000))])
    return central_app


def test_assignment_is_a_center_event_owed_to_the_point_and_my_list_follows_it(office):
    from central import desk
    from central.models import Dossier, Event, Outbound
    for code in ("07024-260302-0001", "07024-260302-0002", "07024-260302-0003"):
        desk.assign(code, "hoa", "truong@central", now=NOW)
    desk.assign("07024-260302-0003", "minh", "truong@central", now=NOW)      # reassigned
    assert Dossier.get(Dossier.code == "07024-260302-0003").assignee == "minh"
    ev = Event.select().where((Event.origin == "central") & (Event.kind == "dossier.corrected")
                              ).order_by(Event.hlc.desc()).first()
    assert ev.payload == {"fields": {"assignee": "minh"}}
    assert Outbound.select().where(Outbound.event_id == ev.event_id).count() == 1   # owed down
    before = Event.select().count()
    desk.assign("07024-260302-0003", "minh", "truong@central", now=NOW)      # no change: no event
    assert Event.select().count() == before
    mine = desk.my_work("hoa", now=NOW)
    assert [d.code for d in mine["mine"]] == ["07024-260302-0002", "07024-260302-0001"]
    assert [d.code for d in mine["late"]] == ["07024-260302-0001"]
    assert [d.code for d in mine["soon"]] == ["07024-260302-0002"]
    assert [d.code for d in desk.my_work("minh", now=NOW)["mine"]] == ["07024-260302-0003"]
    desk.assign("07024-260302-0001", "", "truong@central", now=NOW)          # to nobody
    assert [d.code for d in desk.my_work("hoa", now=NOW)["late"]] == []


def test_the_fold_and_verify_agree_on_the_assignee(office):
    from central import desk
    from central.verify import verify_center
    desk.assign("07024-260302-0002", "hoa", "truong@central", now=NOW)
    from central.models import Dossier
    assert not verify_center().problems
    Dossier.update(assignee="minh").where(Dossier.code == "07024-260302-0002").execute()
    assert [p for p in verify_center().problems if "assignee" in p]      # a hand edit is seen


def test_assignment_refusals(office):
    from central import desk
    from motcua.errors import Conflict, InvalidInput
    for who in ("lanh", "cu", "ai-do"):          # a leader, a disabled officer, nobody
        with pytest.raises(InvalidInput):
            desk.assign("07024-260302-0001", who, "truong@central", now=NOW)
    with pytest.raises(Conflict):
        desk.assign("07024-260302-0004", "hoa", "truong@central", now=NOW)    # result ready


def test_the_assign_form_and_my_work_page(office):
    client = _login(office.test_client(), "hoa")
    page = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert 'id="act-assign"' in page and 'value="minh"' in page and 'value="cu"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/dossiers/07024-260302-0001/assign",
                       data={"assignee": "hoa"}).status_code == 400        # no CSRF token
    r = client.post("/dossiers/07024-260302-0001/assign", data={"assignee": "hoa", "csrf_token": token})
    assert r.status_code == 302
    shown = client.get("/dossiers/07024-260302-0001").get_data(as_text=True)
    assert 'id="assignee">Lê Thị Hoa<' in shown
    bad = client.post("/dossiers/07024-260302-0001/assign",
                      data={"assignee": "lanh", "csrf_token": token})
    assert bad.status_code == 422 and "lanh" in bad.get_data(as_text=True)
    mine = client.get("/dossiers/mine").get_data(as_text=True)
    late = mine[mine.index('id="mine-late"'):mine.index('id="mine-soon"')]
    assert "07024-260302-0001" in late
    leader = _login(office.test_client(), "lanh")
    assert 'id="act-assign"' not in leader.get("/dossiers/07024-260302-0002").get_data(as_text=True)
    assert leader.post("/dossiers/07024-260302-0002/assign",
                       data={"assignee": "hoa", "csrf_token": token}).status_code in (400, 403)


def test_the_api_assigns_and_lists_my_work(office):
    """The API does what the form does: officers to choose from, assign (and unassign), my list;
    a leader may not assign; refusals are 4xx in Vietnamese."""
    from central.models import Dossier, Event
    from central.users import create_token
    client = office.test_client()

    def call(method, url, token, **kw):
        return getattr(client, method)(url, headers={"Authorization": f"Bearer {token}"}, **kw)

    hoa, lanh = create_token("hoa"), create_token("lanh")
    people = call("get", "/api/v1/officers", hoa).get_json()["items"]
    assert [p["username"] for p in people] == ["hoa", "minh"]
    r = call("post", "/api/v1/dossiers/07024-260302-0001/assignee", hoa, json={"assignee": "minh"})
    assert r.status_code == 200 and r.get_json()["code"] == "07024-260302-0001"
    assert Dossier.get(Dossier.uid == "late0001").assignee == "minh"
    ev = Event.select().where(Event.kind == "dossier.corrected").order_by(Event.id.desc()).first()
    assert ev.payload == {"fields": {"assignee": "minh"}} and ev.actor == "hoa@central"
    mine = call("get", "/api/v1/work/mine", create_token("minh")).get_json()
    assert [d["code"] for d in mine["mine"]] == ["07024-260302-0001"]
    assert [d["code"] for d in mine["late"]] == ["07024-260302-0001"] and mine["horizon"]
    assert call("get", "/api/v1/work/mine", hoa).get_json()["mine"] == []
    refused = {
        "leader": call("post", "/api/v1/dossiers/07024-260302-0002/assignee", lanh,
                       json={"assignee": "hoa"}),
        "disabled": call("post", "/api/v1/dossiers/07024-260302-0002/assignee", hoa,
                         json={"assignee": "cu"}),
        "not a name": call("post", "/api/v1/dossiers/07024-260302-0002/assignee", hoa,
                           json={"assignee": ["hoa"]}),
        "no field": call("post", "/api/v1/dossiers/07024-260302-0002/assignee", hoa, json={}),
        "no dossier": call("post", "/api/v1/dossiers/khong-co/assignee", hoa,
                           json={"assignee": "hoa"}),
        "no token": client.post("/api/v1/dossiers/07024-260302-0002/assignee",
                                json={"assignee": "hoa"}),
    }
    assert {k: r.status_code for k, r in refused.items()} == {
        "leader": 403, "disabled": 422, "not a name": 422, "no field": 422, "no dossier": 404,
        "no token": 401}
    assert "Không có cán bộ" in refused["disabled"].get_json()["error"]["message"]
    assert Dossier.get(Dossier.uid == "soon0002").assignee is None
    r = call("post", "/api/v1/dossiers/07024-260302-0001/assignee", hoa, json={"assignee": None})
    assert r.status_code == 200 and Dossier.get(Dossier.uid == "late0001").assignee is None
