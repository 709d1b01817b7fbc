"""Key rotation of a point, end to end against a real center process: over HTTP and by USB stick,
with parcels spooled and down parcels sealed before the rotation, and every refusal logged."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from motcua import legaltime
from sync import crypto
from sync.key_rotation import build_request
from sync.transport import HttpTransport, TransportError
from tests.procs import motcua
from tests.sync_env import FAST_RETRY, Center, add_dossiers, make_node, sync_until_clean

pytestmark = pytest.mark.slow


@pytest.fixture
def center(tmp_path):
    c = Center(tmp_path).start()
    yield c
    c.stop()
    from node.db import close_database
    close_database()


def use(node: Path) -> None:
    from node.db import close_database, open_database
    close_database()
    open_database(node)


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def node_keys(node: Path, name: str = "node_keys.json") -> crypto.PublicKeys:
    return crypto.load_identity(node / name).public_keys()


def point(center: Center, unit: str):
    from central.models import Point
    with center.db():
        return Point.get(Point.unit_code == unit)


def pinned(center: Center, unit: str) -> crypto.PublicKeys:
    p = point(center, unit)
    return crypto.PublicKeys.from_dict({"sign_pub": p.sign_pub, "enc_pub": p.enc_pub})


def refusals(center: Center, unit: str, reason: str) -> int:
    from central.models import Refusal
    with center.db():
        return Refusal.select().where((Refusal.sender == unit)
                                      & (Refusal.reason_code == reason)).count()


def events_from(center: Center, unit: str) -> int:
    from central.models import Event
    with center.db():
        return Event.select().where(Event.origin == unit).count()


def officer_returns(center: Center, code: str) -> None:
    """An officer asks for a supplement: an event the center owes the point."""
    from central import dossiers
    with center.db():
        dossiers.transition(code, 4, "hoa")
        dossiers.transition(code, 5, "hoa", reason="Cần bản sao sổ hộ khẩu")


def build_down_parcel_now(center: Center, unit: str) -> None:
    """The center builds (and caches) the next down parcel now, sealed to the keys it holds now."""
    from central import outbound
    with center.db():
        assert outbound.next_parcel(unit, center.identity()) is not None


def spool_now(node: Path, unit: str) -> None:
    """Seal the journal's pending events into a parcel with the keys in use, without sending it."""
    from node.enroll import node_identity, pinned_center_keys
    from node.rounds import spool_pending_events
    from sync.outbox import Spool
    spool_pending_events(Spool(node / "outbox"), unit, node_identity(node),
                         pinned_center_keys().enc_pub)


def test_rotation_over_http_keeps_everything_flowing(center, tmp_path):
    node = make_node(tmp_path, "07031", "Minh Châu", center.url, center.token("07031"))
    codes = add_dossiers(node, 2)
    sync_until_clean(node)
    old = node_keys(node)
    officer_returns(center, codes[0])
    build_down_parcel_now(center, "07031")      # cached, sealed to the OLD encryption key
    add_dossiers(node, 1)
    spool_now(node, "07031")                    # spooled, signed with the OLD signing key

    out = motcua("node", "rotate-keys", "--data-dir", node)
    assert "Trung tâm đã xác nhận" in out, out
    new = node_keys(node)
    assert new != old and node_keys(node, "node_keys.prev.json") == old
    assert not (node / "node_keys.next.json").exists()
    assert oct((node / "node_keys.json").stat().st_mode & 0o777) == "0o600"
    assert pinned(center, "07031") == new
    p = point(center, "07031")
    assert p.rotated_at is not None and p.prev_until > legaltime.now()     # grace for the old key

    add_dossiers(node, 1)
    report = sync_until_clean(node)
    assert report.parcels_up == 2 and report.parcels_down == 1, report   # old-key parcel, then new
    assert events_from(center, "07031") == 4
    from node import reception
    assert reception.get_dossier(codes[0]).status == 5                   # old-sealed down parcel
    assert point(center, "07031").prev_until <= legaltime.now()            # new key in use: grace over
    assert refusals(center, "07031", "bad_signature") == 0

    # The grace is over: a parcel signed with the old key is refused, logged, changes nothing.
    from node.journal import pending_count
    add_dossiers(node, 1)
    from node.enroll import pinned_center_keys
    from node.models import State
    from node.rounds import spool_pending_events
    from sync.outbox import Spool
    spool = Spool(node / "outbox")
    spool_pending_events(spool, "07031", crypto.load_identity(node / "node_keys.prev.json"),
                         pinned_center_keys().enc_pub)
    item = spool.waiting()[0]
    # the upload itself is signed with the point's current key; the parcel inside, with the old one
    upload = HttpTransport(center.url, node_id="07031", policy=FAST_RETRY,
                           identity=crypto.load_identity(node / "node_keys.json"))
    receipt = upload.upload_parcel(item.read())
    assert json.loads(receipt)["receipt"]["reason"] == "bad_signature"
    assert events_from(center, "07031") == 4 and pending_count() == 1
    assert refusals(center, "07031", "bad_signature") == 1
    assert State.get_or_none(State.key == "unit_code") is not None

    listed = motcua("central", "point", "list", "--data-dir", center.dir)
    assert new.fingerprint() in listed and "đổi 20" in listed, listed
    from central.points import list_points
    with center.db():
        row = next(r for r in list_points() if r["unit_code"] == "07031")
    assert row["key_fingerprint"] == new.fingerprint() and row["rotated_at"]


def test_forged_replayed_and_revoked_rotations_are_refused(center, tmp_path):
    node = make_node(tmp_path, "07032", "Đông Xá", center.url, center.token("07032"))
    current = crypto.load_identity(node / "node_keys.json")
    center_keys = center.identity().public_keys()
    t = HttpTransport(center.url, node_id="07032", identity=current,
                      center_sign_pub=center_keys.sign_pub, policy=FAST_RETRY)
    stranger = crypto.generate_identity()
    forged = build_request(stranger, stranger.public_keys(), "07032")    # signed by another key
    with pytest.raises(TransportError) as refused:
        t.rotate_keys(forged)
    assert "không được ký bằng khóa hiện hành" in refused.value.message_vi
    assert pinned(center, "07032") == current.public_keys()               # nothing changed
    assert point(center, "07032").rotated_at is None
    assert refusals(center, "07032", "bad_endorsement") == 1              # logged with its reason

    fresh = crypto.generate_identity()
    good = build_request(current, fresh.public_keys(), "07032")
    assert t.rotate_keys(good)["public_keys"] == fresh.public_keys().to_dict()
    assert t.rotate_keys(good)["public_keys"] == fresh.public_keys().to_dict()   # again: no-op
    stamp = point(center, "07032").rotated_at
    # The old key endorsing yet other keys after the rotation: not the current key, refused.
    with pytest.raises(TransportError):
        t.rotate_keys(build_request(current, crypto.generate_identity().public_keys(), "07032"))
    assert pinned(center, "07032") == fresh.public_keys()
    assert point(center, "07032").rotated_at == stamp
    assert refusals(center, "07032", "bad_endorsement") == 2

    other = make_node(tmp_path, "07033", "Hạ Long", center.url, center.token("07033"))
    before = node_keys(other)
    from central.points import revoke_point
    with center.db():
        revoke_point("07033")
    result = run("node", "rotate-keys", "--data-dir", other)
    assert result.returncode == 1 and "thu hồi" in result.stderr, result.stdout + result.stderr
    assert "khóa cũ" in result.stderr
    assert pinned(center, "07033") == before and node_keys(other) == before
    assert refusals(center, "07033", "revoked_sender") == 1


def test_rotation_by_usb_stick_round_trip(center, tmp_path):
    stick = tmp_path / "usb"
    node = make_node(tmp_path, "07034", "Bản Sen", center.url, center.token("07034"))
    codes = add_dossiers(node, 2)
    sync_until_clean(node)
    old = node_keys(node)
    officer_returns(center, codes[0])
    build_down_parcel_now(center, "07034")     # sealed to the old key, goes down on the stick
    add_dossiers(node, 1)
    from node.ferry import export_to, import_from
    export_to(node, stick)                     # an old-key parcel already on the stick

    out = motcua("node", "rotate-keys", "--data-dir", node, "--by-usb")
    assert "node export" in out
    assert node_keys(node) == old              # nothing switches before the center answers
    went = export_to(node, stick)
    request = stick / "motcua" / "07034" / "up" / "rotate-request.json"
    assert request.exists() and any("đổi khóa" in str(line) for line in went.went)

    came = motcua("central", "import", "--data-dir", center.dir, "--from", stick)
    assert "đổi khóa điểm 07034" in came and "1 gói áp dụng (1 sự kiện)" in came, came
    new = node_keys(node, "node_keys.next.json")
    assert pinned(center, "07034") == new
    answer = stick / "motcua" / "07034" / "down" / "rotate-answer.json"
    assert answer.exists()
    check = run("parcel", "verify", stick)     # old-key files still verify: "previous" keys
    assert check.returncode == 0, check.stdout

    use(node)
    report = import_from(node, stick)
    assert not report.refused, report.lines()
    assert node_keys(node) == new and node_keys(node, "node_keys.prev.json") == old
    from node import reception
    assert reception.get_dossier(codes[0]).status == 5       # the parcel sealed to the old key
    assert report.counts["acked_parcels"] == 1

    add_dossiers(node, 1)
    export_to(node, stick)
    assert not request.exists()                              # done: not carried again
    came = motcua("central", "import", "--data-dir", center.dir, "--from", stick)
    assert "1 gói áp dụng (1 sự kiện)" in came, came
    assert not answer.exists()
    assert events_from(center, "07034") == 4
    assert point(center, "07034").prev_until <= legaltime.now()
    assert refusals(center, "07034", "bad_signature") == 0
    check = run("parcel", "verify", stick)
    assert check.returncode == 0, check.stdout
