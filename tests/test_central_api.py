"""The center API: reading dossiers, officers' transitions, figures, nodes, and a bad-input walk."""
from __future__ import annotations

from datetime import datetime
from functools import partial

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import add_point, attached, load, received, stamp, transitioned

from motcua import legaltime

T0 = 1_772_000_000_000
NOW = datetime(2026, 3, 5, 12, 0)


_load = partial(load, now=NOW)      # apply events as a point's, at NOW


@pytest.fixture
def seeded(central_app):
    add_point()
    add_point("07006", "Minh Châu")
    _load([received("d1", code="07024-260302-0001", hlc=stamp(T0)),
           transitioned("d1", 2, 4, stamp(T0 + 1)), attached("d1", "b" * 64, stamp(T0 + 2))])
    _load([received("d2", "07006", stamp(T0 + 5), code="07006-260302-0001",
                    name="Trần Thị Đào", id_number="022190001111")], source="07006")
    return central_app


def _state():
    from central.models import Dossier, Event, Outbound
    return ([(d.uid, d.status, d.official_code) for d in Dossier.select().order_by(Dossier.uid)],
            Event.select().count(), Outbound.select().count())


def test_list_and_filter(seeded, api):
    body = api.get("/api/v1/dossiers").get_json()
    assert {d["code"] for d in body["items"]} == {"07024-260302-0001", "07006-260302-0001"}
    assert [d["point"] for d in api.get("/api/v1/dossiers?point=07006").get_json()["items"]] == ["07006"]
    assert [d["id"] for d in api.get("/api/v1/dossiers?status=4").get_json()["items"]] == ["d1"]
    found = api.get("/api/v1/dossiers?q=tran thi dao").get_json()["items"]
    assert [d["id"] for d in found] == ["d2"]
    assert api.get("/api/v1/dossiers?q=Đào").get_json()["items"][0]["id"] == "d2"


def test_show_with_attachment_hashes(seeded, api):
    body = api.get("/api/v1/dossiers/07024-260302-0001").get_json()
    assert body["attachments"][0]["sha256"] == "b" * 64
    assert body["attachments"][0]["present"] is False
    assert [h["kind"] for h in body["history"]][:2] == ["dossier.received", "dossier.transitioned"]


def test_transition_allowed_flows_down(seeded, api):
    r = api.post("/api/v1/dossiers/07024-260302-0001/transitions",
                 json={"to": 5, "reason": "Thiếu bản sao giấy khai sinh"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == 5
    from central.models import Point
    from central.outbound import backlogs, pending_outbound
    down = pending_outbound("07024")
    assert [e.kind for e in down] == ["dossier.transitioned"] and down[0].origin == "central"
    assert down[0].actor == "hoa@central"
    assert set(backlogs()) == {Point.get(Point.unit_code == "07024").id}
    r = api.post("/api/v1/dossiers/07024-260302-0001/transitions", json={"to": 4})
    assert r.status_code == 200 and r.get_json()["status"] == 4


def test_transition_refused_is_409_in_vietnamese(seeded, api):
    before = _state()
    r = api.post("/api/v1/dossiers/07024-260302-0001/transitions", json={"to": 10})
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "transition_refused"
    assert "Không thể chuyển" in r.get_json()["error"]["message"]
    assert _state() == before


def test_official_code_finds_the_dossier(seeded, api):
    r = api.post("/api/v1/dossiers/d1/official-code", json={"official_code": "000.00.04.H40-260302-0001"})
    assert r.status_code == 200, r.get_json()
    assert api.get("/api/v1/dossiers/000.00.04.H40-260302-0001").get_json()["id"] == "d1"
    r = api.post("/api/v1/dossiers/d2/official-code", json={"official_code": "000.00.04.H40-260302-0001"})
    assert r.status_code == 409


def test_leader_may_read_but_not_act(seeded, api):
    from central.users import add_user, create_token
    add_user("lanh", "mat-khau-dai-2", "leader")
    token = create_token("lanh")
    assert api.get("/api/v1/stats", token=token).status_code == 200
    r = api.post("/api/v1/dossiers/d1/transitions", json={"to": 9}, token=token)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "role_forbidden"


def test_nodes_and_conflicts(seeded, api):
    from central.apply import record_center_event
    record_center_event("dossier.transitioned", "d1", "hoa@central",
                        {"from": 4, "to": 9, "at": NOW.isoformat()}, now=NOW)
    nodes = {n["unit_code"]: n for n in api.get("/api/v1/nodes").get_json()["items"]}
    assert nodes["07024"]["backlog_down"] == 1 and nodes["07006"]["backlog_down"] == 0
    assert {"last_contact", "clock_skew_ms", "key_status", "refused_parcels"} <= set(nodes["07024"])
    _load([transitioned("d1", 4, 7, stamp(T0 + 10))])
    items = api.get("/api/v1/conflicts").get_json()["items"]
    assert items and items[0]["kind"] == "concurrent_transition"
    assert {items[0]["a"]["origin"], items[0]["b"]["origin"]} == {"central", "07024"}


def test_nodes_show_key_fingerprint_and_rotation(central_app, api):
    """A rotation (on either database) shows in /api/v1/nodes: new fingerprint, when, grace."""
    from datetime import timedelta

    from central.enrollment import issue_enroll_token, redeem_enroll_token
    from central.key_rotation import accepted_keys, rotate_point_keys
    from central.models import Point
    from sync import crypto
    from sync.key_rotation import build_request, read_answer
    center, old, new = (crypto.generate_identity() for _ in range(3))
    token = issue_enroll_token("07040", "Thắng Lợi", ttl=timedelta(hours=1), now=NOW)
    redeem_enroll_token(token, "07040", old.public_keys(), now=NOW)
    nodes = {n["unit_code"]: n for n in api.get("/api/v1/nodes").get_json()["items"]}
    assert nodes["07040"]["key_fingerprint"] == old.public_keys().fingerprint()
    assert nodes["07040"]["rotated_at"] is None
    answer = rotate_point_keys(build_request(old, new.public_keys(), "07040"), center,
                               now=legaltime.now())
    assert read_answer(answer, center.public_keys().sign_pub, "07040") == new.public_keys()
    nodes = {n["unit_code"]: n for n in api.get("/api/v1/nodes").get_json()["items"]}
    assert nodes["07040"]["key_fingerprint"] == new.public_keys().fingerprint()
    assert nodes["07040"]["rotated_at"] and nodes["07040"]["previous_key_until"]
    assert accepted_keys(Point.get(Point.unit_code == "07040")) == [new.public_keys(),
                                                                     old.public_keys()]


BAD = [
    ("get", "/api/v1/dossiers?status=99", None, 422),
    ("get", "/api/v1/dossiers?status=abc", None, 422),
    ("get", "/api/v1/dossiers?page=0", None, 422),
    ("get", "/api/v1/dossiers?per_page=abc", None, 422),
    ("get", "/api/v1/dossiers?per_page=100000", None, 422),
    ("get", "/api/v1/dossiers?q=" + "x" * 300, None, 422),
    ("get", "/api/v1/dossiers/khong-co", None, 404),
    ("post", "/api/v1/dossiers/d1/transitions", "not json", 422),
    ("post", "/api/v1/dossiers/d1/transitions", [1, 2], 422),
    ("post", "/api/v1/dossiers/d1/transitions", {}, 422),
    ("post", "/api/v1/dossiers/d1/transitions", {"to": "chín"}, 422),
    ("post", "/api/v1/dossiers/d1/transitions", {"to": None}, 422),
    ("post", "/api/v1/dossiers/d1/transitions", {"to": 5}, 422),            # reason required
    ("post", "/api/v1/dossiers/d1/transitions", {"to": 9, "reason": 5}, 422),
    ("post", "/api/v1/dossiers/d1/transitions", {"to": 2}, 409),
    ("post", "/api/v1/dossiers/khong-co/transitions", {"to": 9}, 404),
    ("post", "/api/v1/dossiers/d1/official-code", {"official_code": ""}, 422),
    ("get", "/api/v1/stats?from=2026-13-01", None, 422),
    ("get", "/api/v1/stats?from=2026-03-10&to=2026-03-01", None, 422),
    ("delete", "/api/v1/dossiers/d1", None, 405),
    ("get", "/api/v1/khong-co", None, 404),
]


@pytest.mark.parametrize("method,url,body,status", BAD)
def test_bad_input_is_refused_in_vietnamese_and_changes_nothing(seeded, api, method, url, body,
                                                                status):
    before = _state()
    kwargs = {}
    if isinstance(body, str):
        kwargs = {"data": body, "content_type": "application/json"}
    elif body is not None:
        kwargs = {"json": body}
    r = getattr(api, method)(url, **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)
    err = r.get_json()["error"]
    assert err["code"] and err["message"]
    assert any(ch in err["message"] for ch in "ảãạáàâấầậơớờợưứừựđêếềệôốồộíìịúùụóòọéèẹý")
    assert _state() == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sai"},
                                     {"Authorization": "Basic abc"}])
def test_missing_or_bad_token_is_401(central_app, headers):
    r = central_app.test_client().get("/api/v1/dossiers", headers=headers)
    assert r.status_code == 401 and r.get_json()["error"]["message"]
