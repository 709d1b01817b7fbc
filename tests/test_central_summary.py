"""The dashboard's summary (`central.summary`) kept by the apply path equals a recount after random
applies (events in any order, in batches, replays; fees paid, waived, unset; verdicts, ratings,
scans), on SQLite and PostgreSQL; `central verify` says when it does not; the rebuild mends it; and
the figures read from it equal the figures counted live from the dossier rows."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from central_fixtures import *  # noqa: F401,F403
from central_fixtures import add_point, attached, corrected, received, stamp, transitioned

NOW = datetime(2026, 6, 20, 12, 0)
T0 = 1_772_000_000_000


def _story(rnd: random.Random, n: int) -> list:
    """The events of one random dossier, in the order they happened."""
    uid = f"d{n:03d}"
    origin = rnd.choice(["07024", "07027", "07030"])
    got = datetime(2026, 1, 5, 8) + timedelta(minutes=rnd.randint(0, 60 * 24 * 140))
    due = got + timedelta(days=rnd.randint(1, 12))
    t = T0 + n * 100_000
    ev = received(uid, origin, stamp(t), received_at=got.isoformat(), due_at=due.isoformat(),
                  procedure=rnd.choice(["1.001193", "1.000656", "2.000001"]),
                  channel=rnd.choice([1, 2, None]), id_number=f"0220850{n:05d}")
    ev.payload["fee"] = rnd.choice([{"vnd": 0, "paid": False}, {"vnd": None, "paid": False},
                                    {"vnd": 8000, "paid": False},
                                    {"vnd": 15000, "paid": True, "stage": "reception",
                                     "method": "cash", "receipt_no": "BL-1"}])
    events = [ev]

    def later(make, *args, **kw):
        events.append(make(uid, *args, stamp(t + 1000 * len(events)), origin, **kw))

    if rnd.random() < 0.6:
        later(attached, "%064x" % (n + 1))
    path = rnd.choice(["open", "refused", "stopped", "done", "done", "returned", "supplement"])
    if path == "refused":
        later(transitioned, 2, 3, at=(got + timedelta(hours=1)).isoformat(), reason="thiếu")
    elif path != "open":
        later(transitioned, 2, 4, at=(got + timedelta(hours=2)).isoformat())
        if path == "supplement":
            later(transitioned, 4, 5, at=(got + timedelta(days=1)).isoformat(), reason="bổ sung")
        elif path == "stopped":
            later(transitioned, 4, 8, at=(got + timedelta(days=1)).isoformat(), reason="rút")
        else:
            done = due + timedelta(hours=rnd.choice([-50, -2, 0, 1, 30]))
            later(transitioned, 4, 9, at=done.isoformat())
            if path == "returned":
                later(transitioned, 9, 10, at=(done + timedelta(days=1)).isoformat(),
                      returned_to="người nộp")
                if rnd.random() < 0.7:
                    later(corrected, {"rating": rnd.choice(["satisfied", "not_satisfied"])})
    if rnd.random() < 0.4:
        later(corrected, {"fee.vnd": 20000, "fee.paid": True, "fee.stage": "return",
                          "fee.method": rnd.choice(["cash", "transfer"]), "fee.receipt_no": "BL-9"})
    return events


def _apply_all(batches) -> None:
    from central.apply import apply_events
    from central.db import write_transaction
    for batch in batches:
        with write_transaction():
            apply_events(batch, source_point="07024", now=NOW)


def test_summary_equals_a_recount_after_random_applies(central_db):
    from central import summary
    for unit in ("07024", "07027", "07030"):
        add_point(unit, f"Xã {unit}")
    rnd = random.Random(11)
    events = [e for n in range(60) for e in _story(rnd, n)]
    rnd.shuffle(events)                       # out of order: corrections before their receipt
    replays = rnd.sample(events, 30)          # and some events twice
    pool = events + replays
    batches = []
    while pool:
        size = rnd.randint(1, 25)
        batches.append(pool[:size])
        pool = pool[size:]
    for i in range(0, len(batches), 5):
        _apply_all(batches[i:i + 5])
        assert summary.drift() == []
    held = summary.stored()
    grains = {key[0] for key in held}
    assert grains == {"point", "state", "procedure", "finished", "rating", "fee"}
    for grain in ("point", "state", "procedure"):
        assert sum(v[0] for k, v in held.items() if k[0] == grain) == 60
    fee_classes = {k[8].split("|")[0] for k in held if k[0] == "fee"}
    assert {"collected", "unset"} <= fee_classes and fee_classes & {"unpaid", "waived"}


def test_verify_finds_a_summary_out_of_step_and_the_rebuild_mends_it(central_db):
    from central import summary
    from central.db import write_transaction
    from central.models import DossierTally
    from central.verify import verify_center
    add_point()
    rnd = random.Random(5)
    _apply_all([_story(rnd, n) for n in range(8)])
    assert verify_center().ok
    row = DossierTally.select().where(DossierTally.grain == "point").first()
    DossierTally.update(n=DossierTally.n + 3).where(DossierTally.id == row.id).execute()
    report = verify_center()
    assert not report.ok and any(p.startswith("summary point/") for p in report.problems)
    with write_transaction():
        summary.rebuild()
    assert verify_center().ok


def test_figures_from_the_summary_equal_the_figures_counted_live(central_db, monkeypatch):
    """All points, whole months (the summary) against one point at a time (always counted live)."""
    from central import stats
    for unit in ("07024", "07027", "07030"):
        add_point(unit, f"Xã {unit}")
    rnd = random.Random(23)
    _apply_all([_story(rnd, n) for n in range(80)])
    for period in [(None, None), (date(2026, 2, 1), date(2026, 4, 30)),
                   (date(2026, 1, 17), date(2026, 5, 3))]:
        whole = stats.compute_dashboard(*period, now=NOW)
        parts = [stats.compute_dashboard(*period, point=u, now=NOW)
                 for u in ("07024", "07027", "07030")]
        assert whole["intake"]["total"] == sum(p["intake"]["total"] for p in parts) > 10
        assert whole["intake"]["digitised"] == sum(p["intake"]["digitised"] for p in parts)
        for key in ("early", "on_time", "late", "with_result", "rated"):
            assert whole["finished"][key] == sum(p["finished"][key] for p in parts), key
        for p, unit in zip(parts, ("07024", "07027", "07030")):
            assert whole["finished"]["by_point"].get(unit) == p["finished"]["by_point"].get(unit)
            assert whole["intake"]["by_point"].get(unit) == p["intake"]["by_point"].get(unit)
    # The summary is what the whole-center view reads: emptied, the whole months count nothing.
    from central.models import DossierTally
    DossierTally.delete().execute()
    assert stats.compute_dashboard(None, None, now=NOW)["intake"]["total"] == 0


def test_the_work_lists_partial_index_names_the_running_statuses():
    """`dossier_running_due` (PostgreSQL) is only used when its WHERE is the list's own."""
    import inspect

    from central import desk, migrations
    source = inspect.getsource(migrations._v11_dossier_tally)
    assert f'WHERE "status" IN ({", ".join(str(s) for s in desk.RUNNING)})' in source


def test_the_commands_verify_then_rebuild(tmp_path, backend):
    """`central verify` exits 1 naming a summary row out of step; `central summary-rebuild` mends
    it; verify is then clean."""
    from click.testing import CliRunner

    from central.db import close_database
    from central.models import DossierTally
    from motcua.apps import create_central_app
    from motcua.cli import main
    runner = CliRunner()
    d = tmp_path / "c"
    args = ["central", "init", "--data-dir", str(d)] + (["--database-url", backend] if backend else [])
    assert runner.invoke(main, args).exit_code == 0
    close_database()
    create_central_app({"DATA_DIR": str(d)})
    add_point()
    _apply_all([_story(random.Random(3), n) for n in range(5)])
    DossierTally.delete().where(DossierTally.grain == "state").execute()
    close_database()
    bad = runner.invoke(main, ["central", "verify", "--data-dir", str(d)])
    assert bad.exit_code == 1 and "summary state/" in bad.output
    fixed = runner.invoke(main, ["central", "summary-rebuild", "--data-dir", str(d)])
    assert fixed.exit_code == 0 and "Đã lập lại bảng tổng hợp" in fixed.output, fixed.output
    ok = runner.invoke(main, ["central", "verify", "--data-dir", str(d)])
    assert ok.exit_code == 0, ok.output
