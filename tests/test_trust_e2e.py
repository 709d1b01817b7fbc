"""Trust boundaries end to end, over real HTTP: a stolen point's keys can do no more than that point
could do legitimately, revoking it stops even that, and a down parcel a point must refuse never
stops its round (its records and scans still leave)."""
from __future__ import annotations

import hashlib
import time

import pytest

from sync.events import Event, new_event_id
from sync.hlc import Stamp
from sync.parcel import build_parcel
from sync.receipt import verify_receipt
from sync.transport import HttpTransport, TransportError
from tests.sync_env import FAST_RETRY, Center, add_dossiers, make_node, sync_until_clean

pytestmark = pytest.mark.slow


@pytest.fixture
def island(tmp_path):
    """A center and the honest point B (07024), which has synced one dossier with a scan."""
    center = Center(tmp_path).start()
    b = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
    add_dossiers(b, 1, scan_bytes=2000)
    sync_until_clean(b)
    yield center, b
    center.stop()


def _b_dossier():
    from node.models import Dossier
    return Dossier.select().get()


def _stolen(center, unit="07027"):
    """Point M enrolled for real; the thief then holds its signing and sealing keys."""
    import base64

    import requests

    from sync import crypto
    identity = crypto.generate_identity()
    token = center.token(unit)
    r = requests.post(f"{center.url}/sync/v1/enroll", timeout=10, json={
        "token": token, "unit_code": unit, "public_keys": identity.public_keys().to_dict(),
        "signature": base64.b64encode(crypto.sign(token.encode(), identity,
                                                  purpose="enrollment")).decode()})
    assert r.status_code == 201, r.text
    return identity


def test_stolen_keys_cannot_touch_another_points_dossier_or_push_rules(island, tmp_path):
    center, b = island
    uid, name = _b_dossier().uid, _b_dossier().applicant["full_name"]
    identity = _stolen(center)
    keys = center.identity().public_keys()
    t = HttpTransport(center.url, node_id="07027", identity=identity, policy=FAST_RETRY)
    now = int(time.time() * 1000)
    forged = [
        Event(new_event_id(), "dossier.corrected", uid, "07027", "x@07027", str(Stamp(now, 1)),
              {"fields": {"applicant.full_name": "Kẻ Mạo Danh"}}),
        Event(new_event_id(), "dossier.transitioned", uid, "07027", "x@07027", str(Stamp(now, 2)),
              {"from": 2, "to": 7, "reason": "giả"}),
        Event(new_event_id(), "holidays.updated", None, "07027", "x@07027", str(Stamp(now, 3)),
              {"version": "fake", "days": ["2026-12-01"]}),
    ]
    prev = ""
    for seq, ev in enumerate(forged, start=1):
        data = build_parcel("07027", identity, "central", keys.enc_pub, seq, prev,
                            str(Stamp(now, 0)), "events", [ev.to_wire()])
        body = verify_receipt(t.upload_parcel(data), keys.sign_pub,
                              hashlib.sha256(data).hexdigest())
        assert (body["result"], body["reason"]) == ("refused", "unauthorized")
        prev = hashlib.sha256(data).hexdigest()
    report = sync_until_clean(b)          # nothing came down to the honest point
    assert report.events_down == 0
    assert _b_dossier().applicant["full_name"] == name and _b_dossier().status == 2
    with center.db():
        from central.models import Point
        assert Point.get(Point.unit_code == "07027").refused_count == 3

    # what M may legitimately do, it still may — until the center revokes it
    from central.points import revoke_point
    own = Event(new_event_id(), "dossier.received", "f" * 32, "07027", "x@07027",
                str(Stamp(now, 9)), {"code": "07027-260302-0001", "procedure_code": "1.001193",
                                     "received_at": "2026-03-02T09:00:00", "status": 2})
    data = build_parcel("07027", identity, "central", keys.enc_pub, 4, prev, str(Stamp(now, 0)),
                        "events", [own.to_wire()])
    with center.db():
        revoke_point("07027")
    with pytest.raises(TransportError, match="ghi danh"):     # its uploads are refused at the door
        t.upload_parcel(data)
    t.close()
    with center.db():
        from central.models import Dossier
        assert not Dossier.select().where(Dossier.uid == "f" * 32).exists()


def test_a_down_parcel_the_point_refuses_does_not_stop_its_scans(island):
    """The poison pill: a malformed event on B's dossier reaches B's down lane (here written into
    the center's journal directly, as an older center would have let through)."""
    center, b = island
    uid, name = _b_dossier().uid, _b_dossier().applicant["full_name"]
    with center.db():
        from central.apply import record_center_event
        record_center_event("dossier.corrected", uid, "hoa@central",
                            {"fields": {"applicant.full_name": {"an": "object"}}})
    add_dossiers(b, 1, scan_bytes=3000)          # new records and a new scan wait at the point
    from node.rounds import sync_round
    report = sync_round(b, policy=FAST_RETRY)
    assert report.events_acked >= 2 and report.blobs_up == 1, report
    assert _b_dossier().applicant["full_name"] == name
    from node.facts import get_state
    assert "bad_payload" in (get_state("sync:down_refused") or "") or \
        "sai dạng" in (get_state("sync:down_refused") or "")
    # the next round takes the refused parcel as done: the down lane does not stick
    report = sync_until_clean(b)
    with center.db():
        from central.models import Outbound
        assert Outbound.select().where(Outbound.acked_at.is_null()).count() == 0


def test_a_point_with_a_clock_hours_fast_learns_the_centers_time(island, monkeypatch):
    """A PC set seven hours fast (UTC shown as local time): after one signed receipt, new stamps
    follow the center's time, and `node status` and the Today page say so."""
    center, b = island
    from node import journal
    from node.sync_status import status_dict
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 7 * 3600)   # the whole PC runs fast
    add_dossiers(b, 1)
    sync_until_clean(b)
    status = status_dict()
    assert status["center_clock_offset_ms"] < -6 * 3_600_000
    assert "nhanh hơn trung tâm" in status["clock_warning"]
    assert abs(journal._now_ms() - real() * 1000) < 60_000
    monkeypatch.setattr(time, "time", real)
    with center.db():            # the center took the parcel, and its clock did not follow it
        from central.apply import record_center_event
        ev = record_center_event("dossier.rated", "9" * 32, "hoa@central", {"rating": "x"})
    assert abs(Stamp.parse(ev.hlc).wall_ms - real() * 1000) < 60_000


def test_stolen_keys_by_stick_do_no_more_and_revoking_stops_them(island, tmp_path):
    """The same thief, carrying forged parcels on a USB stick to `central import`."""
    from central.ferry import import_from
    from sync import folder as stick
    from sync.parcel import parcel_file_name
    center, b = island
    uid, name = _b_dossier().uid, _b_dossier().applicant["full_name"]
    identity = _stolen(center)
    keys = center.identity().public_keys()
    now = int(time.time() * 1000)
    forged = Event(new_event_id(), "dossier.corrected", uid, "07027", "x@07027",
                   str(Stamp(now, 1)), {"fields": {"applicant.full_name": "Kẻ Mạo Danh"}})
    own = Event(new_event_id(), "dossier.received", "f" * 32, "07027", "x@07027",
                str(Stamp(now, 2)), {"code": "07027-260302-0001", "procedure_code": "1.001193",
                                     "received_at": "2026-03-02T09:00:00", "status": 2})
    first = build_parcel("07027", identity, "central", keys.enc_pub, 1, "", str(Stamp(now, 0)),
                         "events", [forged.to_wire()])
    second = build_parcel("07027", identity, "central", keys.enc_pub, 2,
                          hashlib.sha256(first).hexdigest(), str(Stamp(now, 0)), "events",
                          [own.to_wire()])
    usb = tmp_path / "usb"
    up = stick.lane(usb, "07027", "up")
    up.mkdir(parents=True)
    for data in (first, second):
        (up / parcel_file_name(data)).write_bytes(data)
    center.stop()                       # the center's technician imports with the server down
    report = import_from(center.dir, usb)
    assert [r for r in report.refused if r[1] == "unauthorized"], report.refused
    with center.db():
        from central.models import Dossier
        assert Dossier.get(Dossier.uid == uid).applicant["full_name"] == name
        assert Dossier.get(Dossier.uid == "f" * 32).origin == "07027"   # its own: allowed
        from central.points import revoke_point
        revoke_point("07027")
    third = build_parcel("07027", identity, "central", keys.enc_pub, 3,
                         hashlib.sha256(second).hexdigest(), str(Stamp(now, 0)), "events",
                         [own.to_wire()])
    (up / parcel_file_name(third)).write_bytes(third)
    report = import_from(center.dir, usb)
    assert [r for r in report.refused if r[1] == "revoked_sender"], report.refused
    center.start()
