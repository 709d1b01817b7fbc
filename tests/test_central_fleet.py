"""Fleet health: last contact, backlogs, refusals with the latest reason, clock skew, key state;
a point silent longer than the setting is flagged; only an admin revokes, with CSRF and the unit
code typed again."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD, add_point, login as _login

NOW = datetime(2026, 3, 5, 12, 0)


@pytest.fixture
def fleet_app(central_app, monkeypatch):
    from central.models import Point
    from central.points import note_refusal
    from central.users import add_user
    monkeypatch.setattr("motcua.legaltime.now", lambda: NOW)
    add_user("admin", OFFICER_PASSWORD, "admin", "Quản trị")
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    add_point()
    add_point("07027", "Minh Châu")
    add_point("07030", "Bản Sen")
    Point.update(last_contact=datetime(2026, 3, 5, 11, 0), clock_skew_ms=-2500,
                 backlog_reported=7).where(Point.unit_code == "07024").execute()
    Point.update(last_contact=datetime(2026, 3, 2, 8, 0)).where(Point.unit_code == "07027").execute()
    note_refusal("07027", "chain_broken", "Gói 7 đến sau gói 5", now=datetime(2026, 3, 2, 8, 0))
    return central_app


def test_fleet_page_flags_silent_points(fleet_app):
    client = _login(fleet_app.test_client(), "hoa")
    html = client.get("/points/").get_data(as_text=True)
    row = {u: html[html.index(f'id="point-{u}"'):].split("</tr>")[0] for u in ("07024", "07027", "07030")}
    assert "silent-flag" not in row["07024"] and "-2.5 s" in row["07024"] and "<td>7</td>" in row["07024"]
    assert "silent-flag" in row["07027"] and "76" in row["07027"]        # 76 hours since 2 March 08:00
    assert "chain_broken: Gói 7 đến sau gói 5" in row["07027"]
    assert "silent-flag" in row["07030"] and "chưa bao giờ" in row["07030"]
    assert "revoke-07024" not in html                                     # officers see, admins act
    fleet_app.config["SILENT_AFTER_HOURS"] = 100
    assert "silent-flag" not in client.get("/points/").get_data(as_text=True).split(
        'id="point-07027"')[1].split("</tr>")[0]


def test_revoke_needs_admin_csrf_and_confirmation(fleet_app):
    from central.models import Point
    officer = _login(fleet_app.test_client(), "hoa")
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      officer.get("/points/").get_data(as_text=True)).group(1)
    assert officer.post("/points/07024/revoke", data={"confirm": "07024",
                                                      "csrf_token": token}).status_code == 403
    admin = _login(fleet_app.test_client(), "admin")
    html = admin.get("/points/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert admin.post("/points/07024/revoke", data={"confirm": "07024"}).status_code == 400
    wrong = admin.post("/points/07024/revoke", data={"confirm": "07027", "csrf_token": token})
    assert wrong.status_code == 422 and 'id="fleet-error"' in wrong.get_data(as_text=True)
    assert Point.get(Point.unit_code == "07024").key_status == "active"
    assert admin.post("/points/99999/revoke", data={"confirm": "99999",
                                                    "csrf_token": token}).status_code == 404
    ok = admin.post("/points/07024/revoke", data={"confirm": "07024", "csrf_token": token})
    assert ok.status_code == 302 and Point.get(Point.unit_code == "07024").key_status == "revoked"
    page = admin.get("/points/").get_data(as_text=True)
    assert "revoke-07024" not in page and "đã thu hồi" in page


def test_fleet_page_shows_the_last_heartbeat(fleet_app):
    """A point's signed heartbeat: its version, disk free, last backup and scans waiting on its
    row; and it counts as contact (the point is no longer silent)."""

    from central.heartbeats import take_heartbeat
    from central.models import Point
    from sync import crypto, heartbeat
    me = crypto.generate_identity()
    keys = me.public_keys().to_dict()
    Point.update(sign_pub=keys["sign_pub"], enc_pub=keys["enc_pub"]).where(
        Point.unit_code == "07030").execute()
    body = {"unit_code": "07030", "sent_at": "2026-03-05T11:59:00.000", "version": "9.8.7",
            "backlog": {"events": 2, "scans": 5, "bytes": 1500000, "oldest_waiting": None},
            "disk_free_bytes": 12_300_000_000, "last_backup_at": "2026-03-05T10:00:00",
            "clock": {"wall": "2026-03-05T11:59:00", "hlc": "001772686740000-00000"},
            "catalogue_versions": ["2025.1"], "calendar_versions": ["2026"]}
    assert take_heartbeat(heartbeat.seal(body, me), sender="07030", via="usb")
    client = _login(fleet_app.test_client(), "hoa")
    html = client.get("/points/").get_data(as_text=True)
    row = html[html.index('id="point-07030"'):].split("</tr>")[0]
    assert "9.8.7" in row and "12.3 GB" in row and "5 tệp quét" in row and "10:00" in row
    assert "silent-flag" not in row
