"""Backup and restore of a point: an encrypted, verifiable file; and a restored old backup never
makes the point reuse a parcel sequence, an event id or a dossier code the center holds, and loses
nothing (the center sends back what the backup lacked)."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from motcua.cli import main
from motcua.errors import Conflict, InvalidInput
from tests.sync_env import add_dossiers, center, closing_node_db, make_node, sync_until_clean  # noqa: F401  (fixtures)

PASS = "cụm mật khẩu sao lưu dài"


# Every test here binds a node database in this process: close it after each.
pytestmark = pytest.mark.usefixtures("closing_node_db")


def test_backup_is_encrypted_verifiable_and_refuses_a_wrong_passphrase(node_dir, tmp_path):
    from node.backup import make_backup, verify_backup
    codes = add_dossiers(node_dir, 3, scan_bytes=20_000)
    target = tmp_path / "usb" / "quan-lan.mcb"
    manifest = make_backup(node_dir, target, PASS)
    assert manifest["dossiers"] == 3 and manifest["scans"] == 3
    raw = target.read_bytes()
    assert raw.startswith(b"MCB1") and codes[0].encode() not in raw and b"SQLite" not in raw
    assert verify_backup(target, PASS)["problems"] == []
    with pytest.raises(InvalidInput, match="Sai mật khẩu"):
        verify_backup(target, "một mật khẩu khác hẳn")
    cut = tmp_path / "cut.mcb"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InvalidInput, match="cắt ngắn"):
        verify_backup(cut, PASS)
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 1
    (tmp_path / "flip.mcb").write_bytes(bytes(flipped))
    with pytest.raises(InvalidInput):
        verify_backup(tmp_path / "flip.mcb", PASS)
    with pytest.raises(InvalidInput, match="ít nhất"):
        make_backup(node_dir, tmp_path / "x.mcb", "ngắn")


def test_backup_while_serving_writes(node_dir, tmp_path):
    """The online backup API copies a consistent database while another connection writes."""
    import threading

    from node.backup import make_backup, restore_backup
    add_dossiers(node_dir, 5)
    stop = threading.Event()

    def keep_writing():
        while not stop.is_set():
            add_dossiers(node_dir, 1)
    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        make_backup(node_dir, tmp_path / "live.mcb", PASS)
    finally:
        stop.set()
        writer.join()
    from node.db import close_database
    close_database()
    m = restore_backup(tmp_path / "restored", tmp_path / "live.mcb", PASS)
    assert m["dossiers"] >= 5
    from node.db import open_database
    from node.models import Dossier, Event
    open_database(tmp_path / "restored")
    assert Dossier.select().count() == m["dossiers"] and Event.select().count() == m["events"]


def test_restore_refuses_to_overwrite_a_point(node_dir, tmp_path):
    from node.backup import make_backup, restore_backup
    make_backup(node_dir, tmp_path / "b.mcb", PASS)
    with pytest.raises(Conflict, match="--replace"):
        restore_backup(node_dir, tmp_path / "b.mcb", PASS)


def _restore_an_old_backup(center, tmp_path) -> SimpleNamespace:
    """A point synced, backed up, then more work synced (which the backup lacks); the PC dies and
    the technician restores the old backup with `motcua node restore`. The restored point is open."""
    from central.models import Dossier as CDossier, Point
    from node.backup import make_backup
    from node.db import close_database, open_database
    from node.models import Event
    from node.reception import transition

    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
    before = add_dossiers(folder, 3, scan_bytes=10_000)
    sync_until_clean(folder)
    backup = tmp_path / "usb" / "07024.mcb"
    make_backup(folder, backup, PASS)

    # Work after the backup, all of it synced: the backup will lack it.
    after = add_dossiers(folder, 4, scan_bytes=10_000)
    transition(before[0], 4, "lan@test")
    sync_until_clean(folder)
    lost_events = {e.event_id for e in Event.select()}
    with center.db():
        seq_before = Point.get(Point.unit_code == "07024").last_seq_in
        center_codes = {d.code for d in CDossier.select()}
    assert set(before + after) <= center_codes and seq_before >= 2

    # The PC dies: everything gone. The technician restores the old backup.
    close_database()
    shutil.rmtree(folder)
    r = CliRunner().invoke(main, ["node", "restore", "--data-dir", str(folder), "--from",
                                  str(backup)], input=PASS + "\n")
    assert r.exit_code == 0, r.output
    open_database(folder)
    return SimpleNamespace(folder=folder, before=before, after=after, lost_events=lost_events,
                           seq_before=seq_before, center_codes=center_codes)


def _assert_resumed_losing_nothing(center, old: SimpleNamespace, offline) -> None:
    """After the restored point caught up: no parcel sequence, event id or dossier code used twice;
    the point holds again every dossier and event it ever wrote (and `offline`, received after the
    restore); and the next dossier's code goes on from the center's."""
    from central.models import Dossier as CDossier, Event as CEvent, Point, Refusal, SeenParcel
    from node.models import Dossier, Event
    from node.reception import receive_dossier
    from tests.conftest import dossier_body
    with center.db():
        refusals = [(r.reason_code, r.message) for r in Refusal.select()]
        seqs = [s.seq for s in SeenParcel.select().where(SeenParcel.sender == "07024")]
        point = Point.get(Point.unit_code == "07024")
        codes = [d.code for d in CDossier.select().where(CDossier.origin == "07024")]
        held_ids = {e.event_id for e in CEvent.select().where(CEvent.origin == "07024")}
    assert refusals == []                          # no replayed, no chain_broken
    assert len(seqs) == len(set(seqs)) and point.last_seq_in > old.seq_before
    assert len(codes) == len(set(codes)) == len(old.before) + len(old.after) + 1
    assert offline.code in codes
    # Nothing lost: the point holds again every dossier and every event it ever wrote.
    assert {d.code for d in Dossier.select()} == set(old.before + old.after + [offline.code])
    assert old.lost_events <= {e.event_id for e in Event.select()}
    assert {e.event_id for e in Event.select() if e.origin == "07024"} <= held_ids
    assert Dossier.get(Dossier.code == old.before[0]).status == 4
    # A dossier received after the restore, on the next day's numbers, goes on from the center's.
    nxt = receive_dossier(dossier_body(), "lan@test")
    assert nxt.code not in codes


def test_old_backup_restored_resumes_after_the_center(center, tmp_path):
    from node.backup import needs_standing
    from node.db import open_database
    from node.models import Dossier
    from node.reception import receive_dossier
    from tests.conftest import dossier_body

    old = _restore_an_old_backup(center, tmp_path)
    folder = old.folder
    assert needs_standing()
    assert {d.code for d in Dossier.select()} == set(old.before)

    # Before the first contact the clerk keeps working: today's numbers jump clear of the lost ones.
    offline = receive_dossier(dossier_body(), "lan@test")
    assert offline.code not in old.center_codes and int(offline.code[-4:]) > 5000
    # A stick only carries the question: no parcel goes before the center has answered.
    out = CliRunner().invoke(main, ["node", "export", "--data-dir", str(folder), "--to",
                                    str(tmp_path / "stick")])
    assert out.exit_code == 0 and "khôi phục" in out.output, out.output
    assert not list((tmp_path / "stick" / "motcua" / "07024" / "up").glob("*.mcp"))
    open_database(folder)

    sync_until_clean(folder)
    assert not needs_standing()
    sync_until_clean(folder)                      # the center's copies come down in later rounds
    _assert_resumed_losing_nothing(center, old, offline)


def test_old_backup_restored_on_an_island_resumes_by_stick(center, tmp_path):
    """No network after the restore: the question and the center's signed answer ride the stick.
    No parcel sequence, event id or dossier code the center holds is used again; nothing is lost;
    an answer made for another question (an older restore) is refused."""
    from node.backup import needs_standing
    from node.ferry import export_to, import_from
    from node.reception import receive_dossier
    from tests.conftest import dossier_body
    from tests.procs import motcua

    old = _restore_an_old_backup(center, tmp_path)
    folder = old.folder
    offline = receive_dossier(dossier_body(), "lan@test")       # work goes on before any answer

    stick = tmp_path / "stick"
    trip = export_to(folder, stick)                              # the question only
    assert needs_standing() and not trip.counts.get("parcels")
    assert not list((stick / "motcua" / "07024" / "up").glob("*.mcp"))
    old_question = (stick / "motcua" / "07024" / "up" / "standing-request.json").read_bytes()

    # An answer to another question (made for a forged nonce) does not move the point.
    motcua("central", "import", "--data-dir", center.dir, "--from", stick)
    answer = stick / "motcua" / "07024" / "down" / "standing.json"
    good = answer.read_bytes()
    from node.facts import get_state, set_state
    from node.rounds import STANDING_NONCE_KEY
    mine = get_state(STANDING_NONCE_KEY)
    set_state(STANDING_NONCE_KEY, "f" * 32)
    report = export_to(folder, stick)
    assert needs_standing() and any(code == "bad_standing_request" for _, code, _ in report.refused)
    set_state(STANDING_NONCE_KEY, mine)
    (stick / "motcua" / "07024" / "up" / "standing-request.json").write_bytes(old_question)
    answer.write_bytes(good)

    import_from(folder, stick)                                   # the answer: resume, take down
    assert not needs_standing()
    for _ in range(4):                                           # a few trips, as the boat goes
        export_to(folder, stick)
        motcua("central", "import", "--data-dir", center.dir, "--from", stick)
        import_from(folder, stick)
    assert not (stick / "motcua" / "07024" / "up" / "standing-request.json").exists()
    assert not answer.exists()

    _assert_resumed_losing_nothing(center, old, offline)
