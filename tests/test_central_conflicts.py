"""Conflicts at the center: listed with both sides, resolved by API (SQLite and PostgreSQL), and the
decision owed to the point; `central verify` re-folds and catches tampering."""
from __future__ import annotations

from datetime import datetime
from functools import partial

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD, add_point, attached, load, received, stamp, transitioned

T0 = 1_772_000_000_000
NOW = datetime(2026, 3, 5, 12, 0)


_load = partial(load, now=NOW)      # apply events as a point's, at NOW


def _snapshot():
    from central.models import ConflictRecord, Dossier, Event, Outbound
    return ([(d.uid, d.status, d.open_conflicts) for d in Dossier.select().order_by(Dossier.uid)],
            Event.select().count(), Outbound.select().count(),
            sorted((c.conflict_id, c.is_open) for c in ConflictRecord.select()))


@pytest.fixture
def clash(central_app):
    """The center says result ready (4→9) while the point, not yet knowing, records a withdrawal
    (4→7): a = the point's 7 (earlier clock), b = the center's 9."""
    from central.apply import record_center_event
    add_point()
    _load([received("d1", hlc=stamp(T0), code="07024-260302-0001"),
           transitioned("d1", 2, 4, stamp(T0 + 1000))])
    record_center_event("dossier.transitioned", "d1", "hoa@central",
                        {"from": 4, "to": 9, "at": NOW.isoformat()}, now=NOW)
    _load([transitioned("d1", 4, 7, stamp(T0 + 500_000))])
    from central.models import ConflictRecord
    return ConflictRecord.get().conflict_id


def test_listed_with_both_sides(clash, api):
    items = api.get("/api/v1/conflicts").get_json()["items"]
    assert [c["id"] for c in items] == [clash]
    c = items[0]
    assert c["kind"] == "concurrent_transition" and c["dossier"]["code"] == "07024-260302-0001"
    assert (c["a"]["origin"], c["a"]["to"], c["a"]["point_name"]) == ("07024", 7, "Quan Lạn")
    assert (c["b"]["origin"], c["b"]["to"], c["b"]["point_name"]) == ("central", 9, "Trung tâm")
    assert c["a"]["actor"] == "lan@07024" and c["b"]["actor"] == "hoa@central"
    assert c["a"]["version"]["status_label"] == "Công dân xin rút hồ sơ"
    assert c["b"]["version"]["status_label"] == "Đã có kết quả"
    assert c["a"]["time"].startswith("2026-")
    one = api.get(f"/api/v1/conflicts/{clash}").get_json()
    assert one["id"] == clash and one["open"] is True


def test_resolve_keep_b_closes_and_flows_down(clash, api):
    from central.models import ConflictRecord, Dossier
    from central.outbound import pending_outbound
    assert Dossier.get(Dossier.uid == "d1").status == 7       # provisional: the earlier move
    r = api.post(f"/api/v1/conflicts/{clash}/resolve", json={"decision": "keep_b"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["open"] is False and body["resolution"]["decision"] == "keep_b"
    assert body["resolution"]["actor"] == "hoa@central"
    d = Dossier.get(Dossier.uid == "d1")
    assert d.status == 9 and d.open_conflicts == 0
    assert not ConflictRecord.get().is_open
    assert api.get("/api/v1/conflicts").get_json()["items"] == []
    down = [e for e in pending_outbound("07024") if e.kind == "conflict.resolved"]
    assert len(down) == 1 and down[0].payload["conflict_id"] == clash
    assert down[0].payload["decision"] == "keep_b" and down[0].origin == "central"

    again = api.post(f"/api/v1/conflicts/{clash}/resolve", json={"decision": "keep_a"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_resolved"


def test_point_folds_the_same_decision(clash, api):
    """What the point computes from the same events equals the center's row."""
    from central.apply import _stored_events
    from central.models import Dossier
    from sync import merge
    api.post(f"/api/v1/conflicts/{clash}/resolve", json={"decision": "value", "value": 8})
    state = merge.fold(_stored_events(["d1"])["d1"])
    assert state.status == 8 == Dossier.get(Dossier.uid == "d1").status
    assert state.open_conflicts == []


@pytest.mark.parametrize("body, code", [
    ({"decision": "keep_c"}, 422),
    ({"decision": None}, 422),
    ({"decision": "value"}, 422),
    ({"decision": "value", "value": 99}, 422),
    ({"decision": "value", "value": "abc"}, 422),
    ({"decision": "value", "value": {"applicant.phone": "1"}}, 422),
    ({"decision": "keep_b", "note": 5}, 422),
    ({"decision": "keep_b", "note": "x" * 3000}, 422),
])
def test_bad_input_changes_nothing(clash, api, body, code):
    before = _snapshot()
    r = api.post(f"/api/v1/conflicts/{clash}/resolve", json=body)
    assert r.status_code == code, r.get_json()
    assert r.get_json()["error"]["message"]
    assert _snapshot() == before


def test_not_found_bad_json_and_roles(clash, api):
    from central.users import add_user, create_token
    assert api.post("/api/v1/conflicts/nope/resolve", json={"decision": "keep_a"}).status_code == 404
    assert api.get("/api/v1/conflicts/nope").status_code == 404
    assert api.post(f"/api/v1/conflicts/{clash}/resolve", data="[").status_code == 422
    add_user("lanh", OFFICER_PASSWORD, "leader")
    leader = create_token("lanh")
    assert api.get("/api/v1/conflicts", token=leader).status_code == 200
    r = api.post(f"/api/v1/conflicts/{clash}/resolve", json={"decision": "keep_a"}, token=leader)
    assert r.status_code == 403
    assert api.get("/api/v1/conflicts").get_json()["items"][0]["open"] is True


def test_possible_duplicate_listed_and_kept_both(central_app, api):
    from central.models import ConflictRecord
    from central.outbound import pending_outbound
    add_point()
    add_point("07006", "Minh Châu")
    _load([received("d1", "07024", stamp(T0))])
    _load([received("d2", "07006", stamp(T0 + 60_000))], source="07006")
    items = api.get("/api/v1/conflicts").get_json()["items"]
    assert [c["kind"] for c in items] == ["possible_duplicate"]
    c = items[0]
    assert c["a"]["version"]["dossier"]["point"] == "07024"
    assert c["b"]["version"]["dossier"]["point"] == "07006"
    assert c["decisions"] == ["keep_a", "keep_b"]
    bad = api.post(f"/api/v1/conflicts/{c['id']}/resolve", json={"decision": "value", "value": 8})
    assert bad.status_code == 422
    r = api.post(f"/api/v1/conflicts/{c['id']}/resolve",
                 json={"decision": "keep_a", "note": "Hai hồ sơ khác nhau (hai thửa đất)"})
    assert r.status_code == 200 and r.get_json()["open"] is False
    assert not ConflictRecord.get().is_open
    down = pending_outbound("07006")
    assert [e.kind for e in down] == ["conflict.resolved"] and down[0].dossier_id == "d2"
    assert down[0].payload["note"].startswith("Hai hồ sơ")
    assert api.post(f"/api/v1/conflicts/{c['id']}/resolve",
                    json={"decision": "keep_b"}).status_code == 409
    from central.verify import verify_center
    assert verify_center().problems == []


def test_received_twice_value_sets_fields(central_app, api):
    from central.models import Dossier
    add_point()
    _load([received("d1", hlc=stamp(T0), phone="0911111111"),
           received("d1", hlc=stamp(T0 + 5), phone="0922222222")])
    (c,) = api.get("/api/v1/conflicts").get_json()["items"]
    assert c["kind"] == "received_twice"
    assert c["a"]["version"]["fields"]["applicant.phone"] == "0911111111"
    assert c["b"]["version"]["fields"]["applicant.phone"] == "0922222222"
    r = api.post(f"/api/v1/conflicts/{c['id']}/resolve",
                 json={"decision": "value", "value": {"applicant.phone": "0933333333"}})
    assert r.status_code == 200, r.get_json()
    assert Dossier.get().applicant["phone"] == "0933333333"


def _init_center(runner, tmp_path, backend):
    from central.db import close_database
    from motcua.cli import main
    d = tmp_path / "c"
    args = ["central", "init", "--data-dir", str(d)] + (["--database-url", backend] if backend else [])
    assert runner.invoke(main, args).exit_code == 0
    close_database()
    return d, main


def test_verify_clean_then_tampered(tmp_path, backend):
    from click.testing import CliRunner

    from central.db import close_database
    from central.models import Attachment, ConflictRecord, Dossier
    from motcua.apps import create_central_app
    runner = CliRunner()
    d, main = _init_center(runner, tmp_path, backend)
    create_central_app({"DATA_DIR": str(d)})
    add_point()
    _load([received("d1", hlc=stamp(T0)), transitioned("d1", 2, 4, stamp(T0 + 1000)),
           attached("d1", "a" * 64, stamp(T0 + 1500))])
    _load([received("d2", hlc=stamp(T0)), transitioned("d2", 2, 4, stamp(T0 + 1000)),
           transitioned("d2", 4, 5, stamp(T0 + 2000), reason="Thiếu giấy"),
           transitioned("d2", 4, 9, stamp(T0 + 2000), origin="central")])
    close_database()
    ok = runner.invoke(main, ["central", "verify", "--data-dir", str(d)])
    assert ok.exit_code == 0, ok.output
    assert "Đã kiểm tra 2 hồ sơ" in ok.output

    create_central_app({"DATA_DIR": str(d)})
    Dossier.update(status=10).where(Dossier.uid == "d1").execute()
    ConflictRecord.update(is_open=False).execute()
    Attachment.delete().execute()
    close_database()
    bad = runner.invoke(main, ["central", "verify", "--data-dir", str(d)])
    assert bad.exit_code == 1
    assert "d1: status: stored 10, journal says 4" in bad.output
    assert "d1: attachments: stored []" in bad.output
    assert "d2: conflict" in bad.output and "journal says open=True" in bad.output
