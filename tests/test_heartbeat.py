"""The point's heartbeat: on every round (even idle) and on a stick, signed, checked, its own only,
kept at the center, shown in `/api/v1/nodes` and on the fleet page; contact counts it."""
from __future__ import annotations

import json

import pytest

from motcua.errors import DomainError, InvalidInput
from tests.sync_env import add_dossiers, center, closing_node_db, make_node, sync_until_clean  # noqa: F401  (fixtures)

# Every test here binds a node database in this process: close it after each.
pytestmark = pytest.mark.usefixtures("closing_node_db")


def _beat(center, unit):
    from central.models import Heartbeat, Point
    with center.db():
        row = Heartbeat.get_or_none(Heartbeat.unit_code == unit)
        point = Point.get(Point.unit_code == unit)
        return (json.loads(row.body) if row else None), row, point


def test_idle_round_sends_a_heartbeat_shown_in_nodes_api(center, tmp_path):
    from node.facts import set_state
    from node.heartbeat import LAST_BACKUP_KEY
    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
    add_dossiers(folder, 2, scan_bytes=5_000)
    set_state(LAST_BACKUP_KEY, "2026-11-30T02:00:00")
    sync_until_clean(folder)
    body, row, point = _beat(center, "07024")
    assert body["backlog"] == {"events": 0, "scans": 0, "bytes": 0, "oldest_waiting": None} \
        or body["backlog"]["events"] == 0
    assert body["version"] and body["disk_free_bytes"] > 0 and row.via == "http"
    assert body["last_backup_at"] == "2026-11-30T02:00:00"
    assert body["catalogue_versions"] and body["calendar_versions"]
    first_contact = point.last_contact

    # An idle round (nothing to send, nothing to take) still reports, and counts as contact.
    report = sync_until_clean(folder)
    assert report.counts.get("heartbeats") == 1 and not report.counts.get("parcels")
    body2, row2, point2 = _beat(center, "07024")
    assert row2.sent_at > row.sent_at and point2.last_contact > first_contact

    # The officers' API shows it, with the silent flag.
    import requests
    with center.db():
        from central.users import add_user, create_token
        add_user("tech", "mật khẩu kỹ thuật dài", "admin")
        token = create_token("tech")
    items = requests.get(f"{center.url}/api/v1/nodes", timeout=5,
                         headers={"Authorization": f"Bearer {token}"}).json()["items"]
    mine = next(p for p in items if p["unit_code"] == "07024")
    assert mine["heartbeat"]["version"] == body2["version"] and mine["is_silent"] is False
    assert mine["heartbeat"]["last_backup_at"] == "2026-11-30T02:00:00"


def test_heartbeat_refused_when_forged_foreign_or_malformed(center, tmp_path):
    """Signed by another key, speaking for another point, or the wrong shape: refused, nothing
    kept; over HTTP a clear 4xx."""
    import requests

    from node.enroll import node_identity
    from node.heartbeat import gather
    from sync import crypto, heartbeat
    from sync.transport import sign_request
    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
    mine = node_identity(folder)
    body = gather(folder)

    def post(doc: bytes):
        path = "/sync/v1/heartbeat"
        headers = sign_request(mine, "07024", "POST", path, doc)
        return requests.post(center.url + path, data=doc, headers=headers, timeout=5)

    other = crypto.generate_identity()
    r = post(heartbeat.seal(body, other))
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_heartbeat"
    r = post(heartbeat.seal({**body, "unit_code": "07025"}, mine))
    assert r.status_code == 403 and r.json()["error"]["code"] == "foreign_heartbeat"
    r = post(heartbeat.seal({**body, "disk_free_bytes": -1}, mine))
    assert r.status_code == 422 and "disk_free_bytes" in r.json()["error"]["message"]
    r = post(heartbeat.seal({**body, "clock": {"wall": body["sent_at"], "hlc": "x"}}, mine))
    assert r.status_code == 422
    r = post(b"\xff" * 10)
    assert r.status_code == 422
    r = requests.post(center.url + "/sync/v1/heartbeat", data=heartbeat.seal(body, mine),
                      timeout=5)                                   # not a signed request
    assert r.status_code == 401
    assert _beat(center, "07024")[0] is None
    r = post(heartbeat.seal(body, mine))
    assert r.status_code == 200 and r.json() == {"stored": True}
    r = post(heartbeat.seal(body, mine))                           # the same again: not newer
    assert r.status_code == 200 and r.json() == {"stored": False}


def test_open_heartbeat_is_pure_and_strict():
    from sync import crypto, heartbeat
    me = crypto.generate_identity()
    body = {"unit_code": "07024", "sent_at": "2026-12-01T08:00:00", "version": "0.1.0",
            "backlog": {"events": 3, "scans": 1, "bytes": 10, "oldest_waiting": None},
            "disk_free_bytes": 5, "last_backup_at": None,
            "clock": {"wall": "2026-12-01T08:00:00", "hlc": "001764550000000-00000"},
            "catalogue_versions": ["2025.1"], "calendar_versions": ["2026"]}
    raw = heartbeat.seal(body, me)
    assert heartbeat.open_heartbeat(raw, [me.public_keys()], sender="07024")["backlog"]["events"] == 3
    with pytest.raises(DomainError) as exc:
        heartbeat.open_heartbeat(raw, [me.public_keys()], sender="07025")
    assert exc.value.code == "foreign_heartbeat"
    with pytest.raises(InvalidInput):
        heartbeat.open_heartbeat(raw, [], sender="07024")
    tampered = raw.replace(b'"events":3', b'"events":0')
    with pytest.raises(InvalidInput, match="chữ ký"):
        heartbeat.open_heartbeat(tampered, [me.public_keys()], sender="07024")
    with pytest.raises(InvalidInput, match="backlog.events"):
        heartbeat.open_heartbeat(heartbeat.seal({**body, "backlog": {"events": "3"}}, me),
                                 [me.public_keys()], sender="07024")


def test_heartbeat_rides_the_stick_and_an_old_one_changes_nothing(center, tmp_path):
    """On a stick: written with the export, taken by `central import`; the same stick brought
    again changes nothing; one put in another point's lane is refused."""
    import shutil

    from node.ferry import export_to
    from tests.procs import motcua
    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
    add_dossiers(folder, 1)
    stick = tmp_path / "stick"
    export_to(folder, stick)
    beat = stick / "motcua" / "07024" / "up" / "heartbeat.json"
    assert json.loads(beat.read_bytes())["heartbeat"]["backlog"]["events"] == 1
    old = tmp_path / "old-stick"
    shutil.copytree(stick, old)
    out = motcua("central", "import", "--data-dir", center.dir, "--from", stick)
    body, row, point = _beat(center, "07024")
    assert row.via == "usb" and body["backlog"]["events"] == 1 and point.last_contact
    assert "07024" in out

    # A newer one over HTTP, then the old stick again: the kept heartbeat stays the newer one.
    sync_until_clean(folder)
    newer = _beat(center, "07024")[1].sent_at
    motcua("central", "import", "--data-dir", center.dir, "--from", old)
    assert _beat(center, "07024")[1].sent_at == newer

    # 07024's heartbeat copied into another enrolled point's lane: refused, not kept for 07025.
    from node.db import close_database
    close_database()
    make_node(tmp_path, "07025", "Cô Tô", center.url, center.token("07025"))
    lane = old / "motcua" / "07025" / "up"
    lane.mkdir(parents=True)
    shutil.copy(old / "motcua" / "07024" / "up" / "heartbeat.json", lane / "heartbeat.json")
    out = motcua("central", "import", "--data-dir", center.dir, "--from", old, check=False)
    assert "heartbeat" in out and _beat(center, "07025")[0] is None
