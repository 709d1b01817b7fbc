"""The node's storage: WAL and durable pragmas, migrations in place, unique codes under concurrency."""
from __future__ import annotations

import threading

from tests.conftest import dossier_body


def test_pragmas_survive_power_cut(node_dir):
    from node.models import db
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migration_upgrades_existing_data_in_place(tmp_path):
    """A v1 file with dossiers in it gains the search index on open, and finds the old rows."""
    from peewee import SqliteDatabase

    from node.db import PRAGMAS, close_database, open_database
    from node.migrations import LATEST, migrate, schema_version
    path = tmp_path / "old" / "node.db"
    path.parent.mkdir()
    old = SqliteDatabase(str(path), pragmas=PRAGMAS)
    migrate(old, target=1)
    assert schema_version(old) == 1
    old.execute_sql(
        "INSERT INTO dossier (uid, code, lookup_secret, origin, procedure_code, catalogue_version, "
        "channel, status, applicant, applicant_id_number, search_text, received_at, due_at, "
        "supplement_count, fee_paid, book_volume, book_number, received_by, updated_hlc) VALUES "
        "('u1', '07024-260105-0001', 'ABCDEF', '07024', '1.001193', '2026.1', 1, 2, "
        "'{\"full_name\": \"Nguyễn Văn An\"}', "
        "'022085001234', 'nguyen van an 07024 260105 0001', '2026-01-05 08:00:00', "
        "'2026-01-05 17:00:00', 0, 0, '2026', 1, 'lan@07024', '000000000000001-00000')")
    old.close()
    database = open_database(path.parent)
    try:
        assert schema_version(database) == LATEST
        from node.search import search_dossiers
        assert [d.code for d in search_dossiers("nguyen an").items] == ["07024-260105-0001"]
    finally:
        close_database()


def test_unique_codes_under_concurrent_intake(app):
    """Eight threads, each on its own connection, take 15 dossiers each: 120 distinct codes, no gaps."""
    from node import reception
    from node.models import Dossier, db
    codes, errors = [], []
    lock = threading.Lock()

    def clerk(n):
        try:
            for _ in range(15):
                d = reception.receive_dossier(dossier_body(), f"clerk{n}@07024")
                with lock:
                    codes.append(d.code)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db.close()
    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(codes) == len(set(codes)) == 120
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(1, 121))
    assert Dossier.select().count() == 120
    books = sorted(d.book_number for d in Dossier.select())
    assert books == list(range(1, 121))


def test_every_change_has_its_event_in_the_same_transaction(app):
    from node import reception
    from node.models import Event
    d = reception.receive_dossier(dossier_body(), "lan@07024")
    reception.transition(d.code, 4, "lan@07024")
    reception.correct_applicant(d.code, {"address": "Thôn Tây, Quan Lạn"}, "lan@07024")
    kinds = [e.kind for e in Event.select().where(Event.dossier_uid == d.uid).order_by(Event.seq)]
    assert kinds == ["dossier.received", "dossier.transitioned", "dossier.corrected"]
    stamps = [e.hlc for e in Event.select().order_by(Event.seq)]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_hlc_never_goes_back_when_the_pc_clock_is_turned_back(app, monkeypatch):
    import time as time_module

    from node import reception
    from node.models import Event
    reception.receive_dossier(dossier_body(), "lan@07024")
    real = time_module.time()
    monkeypatch.setattr(time_module, "time", lambda: real - 86400 * 3)
    reception.receive_dossier(dossier_body(), "lan@07024")
    first, second = [e.hlc for e in Event.select().order_by(Event.seq)]
    assert second > first


def test_search_index_follows_corrections(app):
    from node import reception
    from node.search import search_dossiers
    d = reception.receive_dossier(dossier_body(), "lan@07024")
    reception.correct_applicant(d.code, {"full_name": "Trần Thị Bích"}, "lan@07024")
    assert [x.code for x in search_dossiers("tran bich").items] == [d.code]
    assert search_dossiers("nguyen van an").items == []
