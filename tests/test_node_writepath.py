"""One write path on the node: after any sequence of clerk acts and parcels from the center, every
stored row of a dossier is the pure fold of its journal (`sync.merge` → `sync.folding`), column by
column, and `node verify` finds every column that drifts from it."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.conftest import dossier_body, png_bytes

ACTOR = "lan@07024"
START = datetime(2026, 3, 5, 8, 0)
REQUIREMENTS = ("1.001193-d1", "1.001193-d2")
ACTS = ("receive", "receive", "correct", "transition", "attach", "remove", "rate", "new_due", "resolve",
        "center_transition", "center_correct", "center_remove", "center_rate", "center_resolve",
        "center_replay")


# ---- what the journal says, computed here from the pure functions only ------------------------

def _expected(uid: str):
    """(state, the folding row, the journal) of one dossier from its events alone."""
    from node.journal import to_wire
    from node.models import Event
    from sync import folding, merge
    journal = {r.event_id: to_wire(r) for r in Event.select().where(Event.dossier_uid == uid)}
    state = merge.fold(journal.values())
    return state, folding.dossier_row(state, journal), journal


def assert_rows_are_the_fold(codes=None) -> int:
    """Each dossier's row (of `codes`, else all), live attachments and conflict rows equal the fold
    of its journal; with all, `node verify` agrees."""
    from node.apply import FOLDED_COLUMNS, dossier_columns
    from node.models import Attachment, ConflictRecord, Dossier
    from node.verify import verify_node
    n = 0
    query = Dossier.select() if codes is None else Dossier.select().where(Dossier.code.in_(codes))
    for d in query:
        state, row, journal = _expected(d.uid)
        node_row = dossier_columns(state, journal)   # the shared fold as the node lays it out
        for name in FOLDED_COLUMNS:
            want = row[name] if name != "applicant_id_number" else row[name] or ""
            if name in ("search_text", "due_at"):     # the node adds the secret; NOT NULL due
                want = node_row[name]
                assert want.startswith(row[name]) if name == "search_text" else \
                    want == (row[name] or row["received_at"])
            assert getattr(d, name) == want, (d.code, name)
        f = state.fields
        moves = sorted((e for e in journal.values() if e.kind == "dossier.transitioned"
                        and e.payload.get("reason")), key=lambda e: e.sort_key())
        local = {"lookup_secret": f["lookup_secret"], "received_by": state.received.actor,
                 "fee_vnd": f.get("fee.vnd"), "fee_paid": bool(f.get("fee.paid")),
                 "book_volume": f["book.volume"], "book_number": f["book.number"],
                 "notes": f.get("notes"),
                 "last_reason": moves[-1].payload["reason"] if moves else None}
        for name, want in local.items():
            assert getattr(d, name) == want, (d.code, name)
        live = {(a.requirement_key, a.sha256) for a in
                d.attachments.where(Attachment.removed_at.is_null())}
        assert live == set(state.attachments), d.code
        stored = {c.conflict_id: (c.is_open, c.detail) for c in
                  ConflictRecord.select().where(ConflictRecord.dossier_uid == d.uid)}
        assert stored == {c.id: (c.is_open, c.to_dict()) for c in state.conflicts}, d.code
        n += 1
    if codes is None:
        checked, problems = verify_node()
        assert checked == n and problems == []
    return n


# ---- the acts ---------------------------------------------------------------------------------

class Desk:
    """One example's dossiers and clock; each act picks its details from a seeded random."""

    def __init__(self, store):
        self.store, self.codes, self.now = store, [], START
        self.sent: list = []            # center events already delivered (for replays)

    def tick(self) -> datetime:
        self.now += timedelta(minutes=37)
        return self.now

    def dossier(self, rnd):
        from node.models import Dossier
        # the last few received: a dossier lives long enough to meet pauses, results, conflicts
        return Dossier.get(Dossier.code == rnd.choice(self.codes[-3:])) if self.codes else None

    def act(self, name: str, seed: int) -> None:
        from motcua.errors import DomainError
        rnd = random.Random(seed)
        if name != "receive" and not self.codes:
            name = "receive"
        try:
            getattr(self, name)(rnd)
        except DomainError:
            pass                         # a refused act writes nothing; the check below sees it

    # clerk's acts, through the domain functions the views call
    def receive(self, rnd):
        from node import reception
        body = dossier_body(notes=rnd.choice([None, "Ghi chú"]), fee_paid=rnd.random() < .5)
        if rnd.random() < .3:
            body["owner"] = {**body["applicant"], "full_name": "Lê Thị Hoa"}
        self.codes.append(reception.receive_dossier(body, ACTOR, now=self.tick()).code)

    def correct(self, rnd):
        from node import reception
        field, value = rnd.choice([("phone", f"09{rnd.randrange(10**8):08d}"),
                                   ("address", rnd.choice(["Thôn Tây", "Thôn Bắc"])),
                                   ("full_name", rnd.choice(["Nguyễn Văn Bình", "Trần Văn Cường"]))])
        reception.correct_applicant(self.dossier(rnd).code, {field: value}, ACTOR, now=self.tick())

    def transition(self, rnd):
        from motcua.lifecycle import next_statuses
        from node import reception
        d = self.dossier(rnd)
        to = rnd.choice(next_statuses(d.status) or [2]) if rnd.random() < .8 else rnd.randrange(1, 11)
        reason = rnd.choice([None, "Thiếu tờ khai", "Công dân xin rút"]) if to not in (3, 5) \
            else "Cần bản sao sổ hộ khẩu"
        reception.transition(d.code, to, ACTOR, reason=reason,
                             returned_to=rnd.choice([None, "Nguyễn Văn Bình"]), now=self.tick())

    def attach(self, rnd):
        from node import reception
        reception.attach_scan(self.dossier(rnd).code, png_bytes(600, seed=rnd.randrange(3)),
                              rnd.choice(REQUIREMENTS), ACTOR, self.store, max_bytes=10**6,
                              now=self.tick())

    def remove(self, rnd):
        from node import reception
        d = self.dossier(rnd)
        shas = sorted({a.sha256 for a in reception.active_attachments(d)}) or ["0" * 64]
        reception.remove_attachment(d.code, rnd.choice(shas), ACTOR, now=self.tick())

    def rate(self, rnd):
        from node import reception
        reception.rate(self.dossier(rnd).code, rnd.choice(sorted(reception.RATINGS)), ACTOR,
                       now=self.tick())

    def new_due(self, rnd):
        from node import clerk
        d = self.dossier(rnd)
        clerk.set_new_due_date(d.code, d.due_at + timedelta(days=rnd.randrange(1, 5)),
                              "Chờ xác minh", ACTOR, now=self.tick())

    def resolve(self, rnd):
        from node import conflict_decisions
        open_ = conflict_decisions.list_open_conflicts()
        if open_:
            c = rnd.choice(open_)
            conflict_decisions.resolve_conflict(c["id"], rnd.choice(c["decisions"][:2]), None, ACTOR,
                                       now=self.tick())

    # what the center sends down, through the inbox, after the policy and schema checks
    def _down(self, rnd, kind, d, payload):
        """A center event on `d`, stamped just after one of its events: the latest (the center had
        seen everything) or an earlier one (it acted concurrently with the clerk)."""
        from node.models import Event
        from sync import hlc
        from sync.events import Event as WireEvent, new_event_id
        stamps = sorted(e.hlc for e in Event.select(Event.hlc).where(Event.dossier_uid == d.uid))
        base = hlc.Stamp.parse(stamps[-1] if rnd.random() < .6 else rnd.choice(stamps))
        ev = WireEvent(new_event_id(), kind, d.uid, "central", "hoa@central",
                       str(hlc.Stamp(base.wall_ms, base.counter + 1)), payload)
        self._deliver([ev], d)

    def _deliver(self, events, d):
        from node.inbox import apply_center_events
        from node.models import db
        from sync import policy
        if policy.judge_events(events, sender=policy.CENTER, receiver="07024",
                               owners={d.uid: "07024"}) is not None:
            return
        with db.atomic("IMMEDIATE"):
            apply_center_events(events, now=self.tick())
        self.sent.extend((ev, d) for ev in events)

    def center_transition(self, rnd):
        from motcua.lifecycle import ALLOWED_TRANSITIONS, Status
        d = self.dossier(rnd)
        frm = d.status if rnd.random() < .7 else rnd.choice([2, 4, 5, 6, 9])
        targets = sorted(ALLOWED_TRANSITIONS[Status(frm)])
        if not targets:
            return
        to = int(rnd.choice(targets))
        self._down(rnd, "dossier.transitioned", d, {
            "from": int(frm), "to": to, "at": self.tick().isoformat(),
            "reason": "Cần bản sao sổ hộ khẩu" if to in (3, 5) else rnd.choice([None, "Đã duyệt"]),
            "due_at": rnd.choice([None, (d.due_at + timedelta(days=2)).isoformat()]),
            "returned_to": "Phạm Văn Quân" if to == 10 else None})

    def center_correct(self, rnd):
        d = self.dossier(rnd)
        # official codes are unique at the center, so one per dossier (any number of times)
        fields = dict(rnd.sample([("official_code", f"H{d.uid[:6]}-{rnd.randrange(3)}"),
                                  ("applicant.phone", f"09{rnd.randrange(10**8):08d}"),
                                  ("applicant.full_name", "Nguyễn Văn Dũng"),
                                  ("owner.full_name", "Đỗ Thị Mai"), ("notes", "Trung tâm ghi"),
                                  ("returned_to", "Bà Mai")], rnd.randrange(1, 4)))
        self._down(rnd, "dossier.corrected", d, {"fields": fields})

    def center_remove(self, rnd):
        from node import reception
        d = self.dossier(rnd)
        live = reception.active_attachments(d)
        if live:
            a = rnd.choice(live)
            self._down(rnd, "attachment.removed", d,
                       {"sha256": a.sha256, "requirement_id": a.requirement_key})

    def center_rate(self, rnd):
        self._down(rnd, "dossier.rated", self.dossier(rnd), {"rating": "satisfied"})

    def center_resolve(self, rnd):
        from node import conflict_decisions
        from node.models import Dossier
        open_ = conflict_decisions.list_open_conflicts()
        if open_:
            c = rnd.choice(open_)
            d = Dossier.get(Dossier.uid == c["dossier"]["id"])
            self._down(rnd, "conflict.resolved", d, {"conflict_id": c["id"],
                                                     "decision": rnd.choice(["keep_a", "keep_b"]),
                                                     "value": None})

    def center_replay(self, rnd):
        """A parcel delivered again: the events are held already, nothing changes."""
        if self.sent:
            ev, d = rnd.choice(self.sent)
            self._deliver([ev], d)


@pytest.fixture
def desk_app(app):
    with app.app_context():
        yield app


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(walk=st.lists(st.integers(0, 2**32 - 1), min_size=6, max_size=40))
def test_stored_rows_are_the_fold_of_the_journal(desk_app, walk):
    """Each number of the walk picks an act and its details (hypothesis draws small integers far
    more often than others, so the act is not `n % len(ACTS)`: that would be mostly receptions)."""
    from flask import current_app
    desk = Desk(current_app.extensions["motcua.blobs"])
    for seed in walk:
        rnd = random.Random(seed)
        desk.act(rnd.choice(ACTS), rnd.randrange(2**32))
        assert_rows_are_the_fold(desk.codes)
    assert_rows_are_the_fold()


def test_the_acts_reach_every_branch(desk_app):
    """The random walk above is not idle: a fixed walk of it meets conflicts, decisions, scans
    removed from both sides, pauses and finished dossiers."""
    from flask import current_app

    from node.models import Attachment, ConflictRecord, Dossier
    desk = Desk(current_app.extensions["motcua.blobs"])
    rnd = random.Random(7)
    for _ in range(400):
        desk.act(rnd.choice(ACTS), rnd.randrange(2**32))
    assert_rows_are_the_fold()
    assert ConflictRecord.select().where(ConflictRecord.is_open == False).count() > 0  # noqa: E712
    assert Attachment.select().where(Attachment.removed_at.is_null(False)).count() > 0
    assert Dossier.select().where(Dossier.supplement_count > 0).count() > 0
    assert Dossier.select().where(Dossier.finished_at.is_null(False)).count() > 0
    assert Dossier.select().where(Dossier.official_code.is_null(False)).count() > 0


# ---- the column list and verify ----------------------------------------------------------------

def test_every_dossier_column_is_named_once():
    """A new column must say whether the fold, the node's local reading of it, or nothing sets it."""
    from node.apply import FOLDED_COLUMNS, LOCAL_COLUMNS, NOT_FROM_JOURNAL
    from node.models import Dossier
    named = FOLDED_COLUMNS + LOCAL_COLUMNS + NOT_FROM_JOURNAL
    assert len(named) == len(set(named))
    assert set(named) == set(Dossier._meta.fields)


TAMPER = {"code": "'07024-000000-9999'", "official_code": "'H999'", "origin": "'07999'",
          "procedure_code": "'9.999'", "catalogue_version": "'v0'", "channel": "3", "status": "8",
          "applicant": "'{\"full_name\": \"X\"}'", "owner": "'{\"full_name\": \"Y\"}'",
          "applicant_id_number": "'000000000000'", "received_at": "'2001-01-01 00:00:00'",
          "due_at": "'2001-01-01 00:00:00'", "original_due_at": "'2001-01-01 00:00:00'",
          "paused_at": "'2001-01-01 00:00:00'",
          "finished_at": "'2001-01-01 00:00:00'", "returned_at": "'2001-01-01 00:00:00'",
          "returned_to": "'Z'", "supplement_count": "7", "rating": "'bad'",
          "updated_hlc": "'0'", "search_text": "'khac'", "lookup_secret": "'AAAAAA'",
          "received_by": "'someone'", "fee_vnd": "123", "fee_paid": "1",
          "fee_receipt_no": "'BL-0000'", "book_volume": "'1999'",
          "book_number": "4242", "notes": "'sua tay'", "last_reason": "'sua tay'"}


def test_verify_finds_a_hand_edit_of_any_column(desk_app):
    from node import reception
    from node.apply import JOURNAL_COLUMNS
    from node.models import Dossier, db
    from node.verify import verify_node
    d = reception.receive_dossier(dossier_body(), ACTOR, now=START)
    assert set(TAMPER) == set(JOURNAL_COLUMNS) - {"uid"}
    for name, sql in TAMPER.items():
        with db.atomic() as txn:
            db.execute_sql(f'UPDATE dossier SET "{name}" = {sql} WHERE uid = ?', (d.uid,))
            _, problems = verify_node()
            assert any(f": {name} lưu là" in p for p in problems), name
            txn.rollback()
    assert verify_node() == (1, [])
    Dossier.update(uid="khac").where(Dossier.id == d.id).execute()
    assert verify_node()[1]


def test_center_scan_not_held_here_is_no_row(desk_app):
    """A scan the center adds but never sent has no `blob` row here: the fold lists it, the node's
    rows leave it out, and verify agrees (it compares what this node can show)."""
    from node import reception
    from node.inbox import apply_center_events
    from node.models import Attachment, db
    from node.verify import verify_node
    from sync.events import Event, new_event_id
    d = reception.receive_dossier(dossier_body(), ACTOR, now=START)
    from sync import hlc
    last = hlc.Stamp.parse(d.updated_hlc)
    ev = Event(new_event_id(), "attachment.added", d.uid, "central", "hoa@central",
               str(hlc.Stamp(last.wall_ms, last.counter + 1)),
               {"sha256": "a" * 64, "size": 10, "mime": "application/pdf",
                "requirement_id": REQUIREMENTS[0], "filename": "kq.pdf"})
    with db.atomic("IMMEDIATE"):
        assert apply_center_events([ev], now=START) == 1
    assert Attachment.select().count() == 0
    assert verify_node() == (1, [])
