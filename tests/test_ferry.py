"""Ferry mode: parcels on a USB stick, both ways, for many points, against a real center.

The center is enrolled over HTTP (a real `motcua central serve`), then the stick travels: point
exports (in this process, one node database bound at a time, or by the CLI), the center imports
by its CLI (a separate process, as a technician runs it), the point imports what came back.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import applicant
from tests.procs import motcua
from tests.sync_env import Center, add_dossiers, center, closing_node_db, make_node, sync_until_clean  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def use(node: Path) -> None:
    """Bind this node's database in the test process (nodes take turns, as on separate PCs)."""
    from node.db import close_database, open_database
    close_database()
    open_database(node)


def export(node: Path, stick: Path, **kw):
    from node.ferry import export_to
    use(node)
    return export_to(node, stick, **kw)


def node_import(node: Path, stick: Path):
    from node.ferry import import_from
    use(node)
    return import_from(node, stick)


def center_import(center: Center, stick: Path, check: bool = True) -> str:
    return motcua("central", "import", "--data-dir", center.dir, "--from", stick, check=check)


def verify(stick: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", "parcel", "verify", str(stick)],
                          capture_output=True, text=True, timeout=60)


def center_state(center: Center) -> dict:
    from central.models import Blob, Event, Outbound, Refusal, SeenParcel
    with center.db():
        return {"events": Event.select().count(), "seen": SeenParcel.select().count(),
                "blobs": Blob.select().count(), "refusals": Refusal.select().count(),
                "owed": Outbound.select().where(Outbound.acked_at.is_null()).count(),
                "by_origin": {o: Event.select().where(Event.origin == o).count()
                              for o in ("07001", "07002", "07003", "central")}}


def officer_returns(center: Center, code: str, reason: str = "Cần bản sao sổ hộ khẩu") -> None:
    """An officer at the center asks for a supplement (status 5): an event owed to the point."""
    from central import dossiers
    with center.db():
        dossiers.transition(code, 4, "hoa") if dossiers.get_dossier(code).status < 4 else None
        dossiers.transition(code, 5, "hoa", reason=reason)


def pending(node: Path) -> int:
    from node.journal import pending_count
    use(node)
    return pending_count()


def test_three_points_share_one_stick_both_ways(center, tmp_path, closing_node_db):
    stick = tmp_path / "usb"
    nodes = {u: make_node(tmp_path, u, f"Điểm {u}", center.url, center.token(u))
             for u in ("07001", "07002", "07003")}
    codes = {}
    for unit, node in nodes.items():
        use(node)
        codes[unit] = add_dossiers(node, 3, scan_bytes=200_000 if unit == "07001" else 0)
    motcua("node", "export", "--data-dir", nodes["07001"], "--to", stick)   # the CLI, once
    for unit in ("07002", "07003"):
        report = export(nodes[unit], stick)
        assert report.counts["parcels"] == 1 and not report.left
    check = verify(stick)            # no public keys yet: structure and hashes only
    assert check.returncode == 0, check.stdout
    out = center_import(center, stick)
    assert "3 gói áp dụng" in out, out
    state = center_state(center)
    assert state["by_origin"]["07001"] == 6 and state["by_origin"]["07003"] == 3
    assert state["blobs"] == 3

    officer_returns(center, codes["07002"][0])
    motcua("central", "export", "--data-dir", center.dir, "--to", stick, "--node", "07002")
    check = verify(stick)            # now with the center's public keys file: signatures too
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Khóa trung tâm trên USB" in check.stdout

    for unit, node in nodes.items():
        report = node_import(node, stick)
        assert not report.refused, report.lines()
        assert report.counts["acked_parcels"] == 1
        assert {"file": "motcua/" + next(u for u in nodes if u != unit),
                "why": "thư mục của điểm khác, để nguyên"} in report.to_dict()["ignored"]
        assert pending(node) == 0
    from node import reception
    from node.models import Blob
    use(nodes["07002"])
    assert reception.get_dossier(codes["07002"][0]).status == 5
    use(nodes["07001"])
    assert Blob.select().where(~Blob.at_center).count() == 0

    half = stick / "motcua" / "07002" / "up" / ".07002_central_0000000002_ab.mcp.1f2e.tmp"
    half.write_bytes(b"MCP1\x01 a stick pulled out mid-write")   # what write_atomic can leave
    assert verify(stick).returncode == 0                        # never mistaken for a parcel
    for node in nodes.values():       # second trip: the point's receipts for the down parcel go up
        export(node, stick)
    assert not half.exists()                                    # swept by the lane's writer
    assert not list((stick / "motcua" / "07001" / "up").glob("*.mcp"))   # acknowledged: pruned
    center_import(center, stick)
    assert center_state(center)["owed"] == 0
    assert verify(stick).returncode == 0
    _grep_stick_for_citizen(stick)


def _grep_stick_for_citizen(stick: Path) -> None:
    """Neither the name nor the ID number nor the phone lies anywhere on the stick, in any form."""
    person = applicant()
    needles = []
    for text in (person["full_name"], person["id_number"], person["phone"], "Nguyen Van An",
                 person["address"].split(",")[0]):
        needles += [text.encode("utf-8"), text.encode("utf-16-le"), text.lower().encode()]
    files = [p for p in stick.rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        raw = path.read_bytes() + str(path.relative_to(stick)).encode()
        for needle in needles:
            assert needle not in raw, f"{needle!r} readable in {path}"
    grep = subprocess.run(["grep", "-r", "-a", "-l", "-e", person["id_number"], "-e",
                           person["full_name"], str(stick)], capture_output=True, text=True)
    assert grep.returncode == 1 and not grep.stdout, grep.stdout


def test_same_parcels_by_stick_and_http_take_effect_once(center, tmp_path, closing_node_db):
    from node.models import Event
    stick = tmp_path / "usb"
    node = make_node(tmp_path, "07001", "Quan Lạn", center.url, center.token("07001"))
    codes = add_dossiers(node, 2, scan_bytes=50_000)
    export(node, stick)                        # stick written, then the link comes back first
    assert sync_until_clean(node).parcels_up == 1       # the same spooled parcel, by HTTP
    center_import(center, stick)               # ... and the stick arrives later: duplicates
    before = center_state(center)
    assert before["by_origin"]["07001"] == 4 and before["blobs"] == 2
    report = node_import(node, stick)
    assert report.counts.get("stale_receipts", 0) >= 1 and not report.refused
    center_import(center, stick)               # any number of times
    assert center_state(center) == before

    add_dossiers(node, 1)                      # the other order: stick first, then HTTP
    officer_returns(center, codes[0])
    export(node, stick)
    center_import(center, stick)
    node_import(node, stick)
    assert pending(node) == 0
    again = sync_until_clean(node)
    assert again.parcels_up == 0 and again.parcels_down == 1    # served again by HTTP: duplicate
    assert sync_until_clean(node).parcels_down == 0              # the HTTP receipt acknowledged it
    assert Event.select().where(Event.origin == "central").count() == 2     # 4 then 5, once each
    export(node, stick)
    center_import(center, stick)
    node_import(node, stick)
    after = center_state(center)
    assert after["by_origin"]["07001"] == 5 and after["by_origin"]["central"] == 2
    assert after["owed"] == 0
    from node import reception
    assert reception.get_dossier(codes[0]).status == 5


def test_damaged_foreign_and_replayed_sticks(center, tmp_path, closing_node_db):
    from node.models import Blob, Event
    stick, old = tmp_path / "usb", tmp_path / "old-usb"
    a = make_node(tmp_path, "07001", "A", center.url, center.token("07001"))
    b = make_node(tmp_path, "07002", "B", center.url, center.token("07002"))
    use(b)
    b_code = add_dossiers(b, 1)[0]
    use(a)
    codes = add_dossiers(a, 2, scan_bytes=2_500_000)            # 3 chunks per scan
    export(a, stick)
    export(b, stick)
    center_import(center, stick)
    officer_returns(center, codes[1])
    officer_returns(center, b_code)
    motcua("central", "export", "--data-dir", center.dir, "--to", stick)
    node_import(a, stick)
    node_import(b, stick)
    shutil.copytree(stick, old)                # the stick of that trip, kept in a drawer

    use(a)
    add_dossiers(a, 1, scan_bytes=1_500_000)
    export(a, stick)
    up = stick / "motcua" / "07001" / "up"
    events_file = next(p for p in up.glob("*.mcp") if "_blob_" not in p.name)
    chunk = sorted(up.glob("*_blob_*.mcp"))[0]
    flipped = bytearray(events_file.read_bytes())
    flipped[len(flipped) // 2] ^= 0x10
    events_file.write_bytes(bytes(flipped))
    chunk.write_bytes(chunk.read_bytes()[:5000])               # a copy that did not finish
    check = verify(stick)
    assert check.returncode == 1
    assert "bad_signature" in check.stdout or "mã băm khác" in check.stdout
    assert "kích thước" in check.stdout

    before = center_state(center)
    out = center_import(center, stick, check=False)
    assert "bad_signature" in out and "truncated" in out, out
    mid = center_state(center)
    assert mid["events"] == before["events"] and mid["refusals"] == before["refusals"] + 2

    for_b = next((old / "motcua" / "07002" / "down").glob("*.mcp"))
    foreign = stick / "motcua" / "07001" / "down" / for_b.name     # B's parcel in A's lane
    shutil.copy(for_b, foreign)
    report = node_import(a, stick)
    reasons = {code for _, code, _ in report.refused}
    assert {"bad_signature", "truncated"} <= reasons, report.lines()
    assert any("không phải điểm này" in str(why) for _, why in report.ignored)
    assert foreign.exists() and (stick / "motcua" / "07002").is_dir()     # left intact
    assert pending(a) == 2                                                  # nothing lost

    export(a, stick)                            # the next trip carries good copies again
    assert verify(stick).returncode == 1        # (the foreign file is still where it was put)
    center_import(center, stick)
    node_import(a, stick)
    assert pending(a) == 0
    use(a)
    assert Blob.select().where(~Blob.at_center).count() == 0
    for blob in Blob.select():
        held = (center.dir / "blobs" / blob.sha256[:2] / blob.sha256).read_bytes()
        assert hashlib.sha256(held).hexdigest() == blob.sha256

    settled, node_events = center_state(center), Event.select().count()
    report = node_import(a, old)                # weeks later, the old stick turns up
    assert not report.refused and report.counts.get("down_duplicate", 0) >= 1
    center_import(center, old)
    assert center_state(center) == settled
    use(a)
    assert Event.select().count() == node_events


def test_30mb_scan_over_two_trips_with_a_16mb_cap(center, tmp_path, closing_node_db):
    from node.models import Blob
    stick = tmp_path / "usb"
    node = make_node(tmp_path, "07001", "Quan Lạn", center.url, center.token("07001"))
    add_dossiers(node, 1, scan_bytes=30 * 1024 * 1024)
    first = export(node, stick, max_bytes=16 * 1024 * 1024)
    lane = stick / "motcua" / "07001" / "up"
    assert sum(p.stat().st_size for p in lane.rglob("*.mcp")) <= 16 * 1024 * 1024
    assert first.left and first.counts["chunks"] < 31
    check = verify(stick)
    assert check.returncode == 0 and "một phần" in check.stdout, check.stdout
    center_import(center, stick)
    blob = Blob.get()
    assert not (center.dir / "blobs" / blob.sha256[:2] / blob.sha256).exists()
    node_import(node, stick)
    assert not Blob.get().at_center
    second = export(node, stick, max_bytes=16 * 1024 * 1024)
    assert not second.left and first.counts["chunks"] + second.counts["chunks"] == 31
    center_import(center, stick)
    node_import(node, stick)
    assert Blob.get().at_center
    held = (center.dir / "blobs" / blob.sha256[:2] / blob.sha256).read_bytes()
    assert held == (node / "scans" / blob.sha256[:2] / blob.sha256).read_bytes()


def _wait_for_job(client) -> dict:
    import time
    for _ in range(600):
        status = client.get("/usb/status.json").get_json()
        if status["state"] != "running":
            return status
        time.sleep(0.05)
    raise AssertionError("USB job never finished")


def test_clerk_exports_and_imports_on_the_usb_page(center, tmp_path, closing_node_db):
    import re

    from motcua.apps import create_node_app
    from node.users import add_user
    from tests.conftest import CLERK_PASSWORD
    stick = tmp_path / "usb"
    node = make_node(tmp_path, "07001", "Quan Lạn", center.url, center.token("07001"))
    add_dossiers(node, 2, scan_bytes=100_000)
    app = create_node_app({"DATA_DIR": str(node), "TESTING": True})
    add_user("lan", CLERK_PASSWORD, "clerk", "Trần Thị Lan")
    client = app.test_client()

    def csrf(url):
        return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)
    assert client.post("/login", data={"username": "lan", "password": CLERK_PASSWORD,
                                       "csrf_token": csrf("/login")}).status_code == 302
    page = client.get("/usb").text
    assert "Xuất ra USB" in page and "Nhập từ USB" in page
    token = csrf("/usb")
    assert client.post("/usb/export", data={"folder": "relative/path", "csrf_token": token},
                       follow_redirects=True).text.count("đường dẫn đầy đủ") == 1
    assert client.post("/usb/export", data={"folder": str(stick)}).status_code == 400   # no CSRF
    assert client.post("/usb/export", data={"folder": str(stick), "max_mb": "50",
                                            "csrf_token": token}).status_code == 302
    status = _wait_for_job(client)
    assert status["state"] == "done" and status["percent"] == 100, status
    assert "1 gói hồ sơ (4 sự kiện), 2 mảnh tệp quét" in " ".join(status["report"]["went"])
    assert "Không còn gì chờ chuyến sau" in client.get("/usb").text
    center_import(center, stick)
    client.post("/usb/import", data={"folder": str(stick), "csrf_token": token})
    status = _wait_for_job(client)
    assert status["state"] == "done" and not status["report"]["refused"], status
    summary = client.get("/usb").text
    assert "1 biên nhận gói hồ sơ (4 sự kiện)" in summary and "tệp quét trung tâm đã đủ" in summary
    assert pending(node) == 0
