"""Applying journal events at the center: the one write path for points' parcels and officers alike.

`apply_events` runs inside the caller's transaction (the parcel ingest opens one per parcel, so a
parcel is applied whole or not at all). It is idempotent by event id, re-folds only the dossiers the
new events touch (with `sync.merge`, so the center computes exactly what the points compute), records
conflicts, and queues each event for the point that must hear of it.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from peewee import fn

from central import outbound, summary
from central.db import bulk_insert, db, is_in, is_postgres
from central.models import Attachment, Blob, ConflictRecord, Dossier, Event, Point, State
from motcua import legaltime
from motcua.lifecycle import RESULT_REQUIREMENT
from sync import folding, hlc, merge
from sync.conflict_rules import find_possible_duplicates
from sync.events import CENTER_ID, KINDS, Event as WireEvent, new_event_id

logger = logging.getLogger(__name__)

GLOBAL_KINDS = frozenset({"catalogue.updated", "holidays.updated"})
_CHUNK = 500


@dataclass
class ApplyResult:
    applied: list[str] = field(default_factory=list)     # event ids stored now
    skipped: list[str] = field(default_factory=list)     # already held (a replay or a duplicate)
    dossiers: list[str] = field(default_factory=list)    # dossier uids re-folded
    conflicts: list[str] = field(default_factory=list)   # conflict ids raised or changed
    queued: int = 0                                      # (point, event) pairs owed downstream
    max_hlc: str | None = None                           # newest stamp among applied events


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _lock_dossiers(uids: list[str]) -> None:
    """Serialise concurrent center processes on the same dossiers (PostgreSQL; SQLite's write
    transaction already serialises). Sorted, so two parcels never lock in opposite orders."""
    if uids and is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(k) FROM "
                       "(SELECT hashtextextended(u, 0) AS k FROM unnest(%s::text[]) u ORDER BY 1) s",
                       (sorted(uids),))


def _stored_events(uids: list[str]) -> dict[str, list[WireEvent]]:
    out: dict[str, list[WireEvent]] = {}
    for chunk in _chunks(uids):
        rows = (Event.select(Event.event_id, Event.kind, Event.dossier_uid, Event.origin,
                             Event.actor, Event.hlc, Event.payload)
                .where(is_in(Event.dossier_uid, chunk)).tuples())
        for eid, kind, uid, origin, actor, stamp, payload in rows:
            if isinstance(payload, str):     # tuples() converts on some peewee versions only
                payload = Event.payload.python_value(payload)
            out.setdefault(uid, []).append(WireEvent(eid, kind, uid, origin, actor, stamp, payload))
    return out


def apply_events(events: list[WireEvent], *, source_point: str, now: datetime,
                 parcel_id: str | None = None, duplicate_window_days: float = 7) -> ApplyResult:
    """Store and fold the events not yet held; call inside the caller's write transaction.

    `source_point` is who delivered them (a unit code, or "central"): nothing is queued back to it.
    :raises ValueError: an event that is not a well-formed journal event (the caller rolls back).
    """
    result = ApplyResult()
    batch: dict[str, WireEvent] = {}
    for ev in events:
        if ev.kind not in KINDS:
            raise ValueError(f"unknown event kind {ev.kind!r} in {ev.id}")
        if ev.kind not in GLOBAL_KINDS and not ev.dossier_id:
            raise ValueError(f"event {ev.id} ({ev.kind}) names no dossier")
        hlc.Stamp.parse(ev.hlc)
        batch.setdefault(ev.id, ev)
    uids = sorted({ev.dossier_id for ev in batch.values() if ev.dossier_id})
    _lock_dossiers(uids)
    held: set[str] = set()
    for chunk in _chunks(list(batch)):
        held.update(eid for (eid,) in Event.select(Event.event_id)
                    .where(is_in(Event.event_id, chunk)).tuples())
    new = [ev for ev in batch.values() if ev.id not in held]
    result.skipped = [eid for eid in batch if eid in held]
    if not new:
        return result
    new.sort(key=WireEvent.sort_key)
    touched = sorted({ev.dossier_id for ev in new if ev.kind not in GLOBAL_KINDS})
    prior = _stored_events(touched)
    rows = [{"event_id": ev.id, "dossier_uid": ev.dossier_id, "kind": ev.kind, "origin": ev.origin,
             "actor": ev.actor, "hlc": ev.hlc, "payload": ev.payload, "received_at": now,
             "parcel_id": parcel_id} for ev in new]
    bulk_insert(Event, rows, ignore=True)
    result.applied = [ev.id for ev in new]
    result.max_hlc = max(ev.hlc for ev in new)

    by_dossier: dict[str, list[WireEvent]] = {}
    for ev in new:
        if ev.kind not in GLOBAL_KINDS:
            by_dossier.setdefault(ev.dossier_id, []).append(ev)
    states = {uid: merge.fold(prior.get(uid, []) + evs) for uid, evs in by_dossier.items()}
    journals = {uid: {e.id: e for e in prior.get(uid, []) + evs} for uid, evs in by_dossier.items()}
    _write_dossiers(states, journals, prior)
    _write_attachments(states)
    result.dossiers = sorted(states)
    result.conflicts = _write_conflicts(states, new, now, duplicate_window_days)
    result.queued = _queue(new, states, source_point, now)
    logger.debug("applied %d events (%d skipped) from %s, %d dossiers", len(new),
                 len(result.skipped), source_point, len(states))
    return result



def center_columns(state) -> dict:
    """The center-only columns of a dossier row, from the fold: the officer it is assigned to (a
    `dossier.corrected` of the field "assignee", `central.desk.assign`), and how many scans of its
    papers it has (result files not counted): the dashboard's "digitised" without a join."""
    assignee = state.fields.get("assignee")
    scans = sum(1 for req, _ in state.attachments if req != RESULT_REQUIREMENT)
    return {"assignee": str(assignee)[:255] if assignee else None, "scan_count": scans}


def _write_dossiers(states: dict, journals: dict, prior: dict) -> None:
    """Upsert the folded rows (ON CONFLICT … DO UPDATE works on both backends), and move each
    dossier's share of the dashboard's summary from its old row to its new one."""
    rows = [{**r, **center_columns(states[uid])} for uid in sorted(states)
            if (r := folding.dossier_row(states[uid], journals[uid]))]
    old = summary.rows_of(sorted(states))
    new = {r["uid"]: r for r in rows}
    summary.write_delta(summary.delta(
        [(old.get(uid), summary.fee_of(prior.get(uid, []))) for uid in states],
        [(new.get(uid), summary.fee_of(journals[uid].values())) for uid in states]))
    if not rows:
        return
    bulk_insert(Dossier, rows, conflict=("uid",), update=tuple(k for k in rows[0] if k != "uid"))


def _write_attachments(states: dict) -> None:
    """Make the attachment rows match the folded sets, keeping the present flag of those kept."""
    wanted = {}
    for state in states.values():
        for key, row in folding.attachment_rows(state).items():
            wanted[(state.dossier_id,) + key] = row
    have = {}
    for chunk in _chunks(sorted(states)):
        for a in (Attachment.select(Attachment.id, Attachment.dossier_uid, Attachment.requirement,
                                    Attachment.sha256).where(is_in(Attachment.dossier_uid, chunk))):
            have[(a.dossier_uid, a.requirement, a.sha256)] = a.id
    gone = [rid for key, rid in have.items() if key not in wanted]
    for chunk in _chunks(gone):
        Attachment.delete().where(Attachment.id.in_(chunk)).execute()
    fresh = [row for key, row in wanted.items() if key not in have]
    if not fresh:
        return
    held = set()
    for chunk in _chunks(sorted({r["sha256"] for r in fresh})):
        held.update(sha for (sha,) in Blob.select(Blob.sha256).where(is_in(Blob.sha256, chunk)).tuples())
    for row in fresh:
        row["present"] = row["sha256"] in held
    bulk_insert(Attachment, fresh, ignore=True)


def _write_conflicts(states: dict, new: list[WireEvent], now: datetime,
                     window_days: float) -> list[str]:
    """Upsert the merge's conflicts of the touched dossiers, and flag possible duplicates."""
    found = [c for state in states.values() for c in state.conflicts]
    # Conflicts are derived: one raised while an earlier event was still missing may be gone now.
    keep = {c.id for c in found}
    for chunk in _chunks(sorted(states)):
        (ConflictRecord.delete().where(is_in(ConflictRecord.dossier_uid, chunk)
                                       & ConflictRecord.conflict_id.not_in(keep or {""})).execute())
    received = [ev for ev in new if ev.kind == "dossier.received"]
    if received:
        found += _possible_duplicates(received, window_days)
    if not found:
        return []
    rows = [{"conflict_id": c.id, "kind": c.kind, "dossier_uid": c.dossier_id,
             "is_open": c.is_open, "detail": c.to_dict(), "first_seen": now, "updated_at": now}
            for c in found]
    bulk_insert(ConflictRecord, rows, conflict=("conflict_id",),
                update=("is_open", "detail", "updated_at"))
    return [c.id for c in found]


def _possible_duplicates(received: list[WireEvent], window_days: float):
    """Same ID number and procedure received at another point within the window: flag, not merge."""
    numbers = sorted({str(ev.payload.get("applicant", {}).get("id_number"))
                      for ev in received if isinstance(ev.payload.get("applicant"), dict)
                      and ev.payload["applicant"].get("id_number")})
    if not numbers:
        return []
    uids = set()
    for chunk in _chunks(numbers):
        uids.update(u for (u,) in Dossier.select(Dossier.uid)
                    .where(is_in(Dossier.applicant_id_number, chunk)).tuples())
    uids -= {ev.dossier_id for ev in received}
    if not uids:
        return []
    others = [ev for evs in _stored_events(sorted(uids)).values() for ev in evs
              if ev.kind == "dossier.received"]
    mine = {ev.id for ev in received}
    return [c for c in find_possible_duplicates(others + received, window_days)
            if c.a.id in mine or c.b.id in mine]


def _queue(new: list[WireEvent], states: dict, source_point: str, now: datetime) -> int:
    """Owe each event to the point that must hear of it: the dossier's own point for dossier
    events, every point for catalogue and holiday updates; never back to who sent or wrote it."""
    origins = {uid: s.received.origin for uid, s in states.items() if s.received is not None}
    missing = sorted({ev.dossier_id for ev in new if ev.kind not in GLOBAL_KINDS} - set(origins))
    for chunk in _chunks(missing):
        origins.update(Dossier.select(Dossier.uid, Dossier.origin)
                       .where(Dossier.uid.in_(chunk)).tuples())
    everyone = None
    pairs = []
    for ev in new:
        if ev.kind in GLOBAL_KINDS:
            if everyone is None:
                everyone = [u for (u,) in Point.select(Point.unit_code)
                            .where(Point.key_status != "revoked").tuples()]
            targets = everyone
        else:
            targets = [origins[ev.dossier_id]] if ev.dossier_id in origins else []
        pairs.extend((t, ev.id) for t in targets if t not in (source_point, ev.origin, CENTER_ID))
    return outbound.queue_events(pairs, now=now)


def _center_stamp(after: str | None, now: datetime) -> hlc.Stamp:
    """Advance the center's persisted HLC and stamp a new event after `after` (the dossier's
    newest stamp) if given; a stamp too far ahead is followed by that event only (`hlc.stamp_after`).

    On PostgreSQL the row is locked, so two center processes never hand out the same stamp.
    """
    query = State.select().where(State.key == "hlc")
    row = (query.for_update() if is_postgres() else query).first()
    last = hlc.Stamp.parse(row.value) if row else hlc.ZERO
    now_ms = legaltime.to_ms(now) if now else int(time.time() * 1000)
    if after:     # after the dossier's newest event, yet never dragged ahead by a wrong clock
        stamp, clock = hlc.stamp_after(last, hlc.Stamp.parse(after), now_ms, hlc.MAX_AHEAD_MS)
    else:
        stamp = clock = hlc.tick(last, now_ms)
    if row is None:
        State.insert(key="hlc", value=str(clock)).on_conflict(
            conflict_target=[State.key], preserve=[State.value]).execute()
    else:
        State.update(value=str(clock)).where(State.key == "hlc").execute()
    return stamp


def record_center_event(kind: str, dossier_uid: str | None, actor: str, payload: dict, *,
                        now: datetime | None = None) -> WireEvent:
    """Journal an officer's action (or a catalogue/holiday update when `dossier_uid` is None) with
    the center's HLC and origin "central", fold it, and owe it to the point(s) that must hear of it.

    Runs in its own transaction, or inside the caller's. :raises ValueError: an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    now = now or legaltime.now()
    with db.atomic():
        after = None
        if dossier_uid is not None:
            after = (Event.select(fn.MAX(Event.hlc)).where(Event.dossier_uid == dossier_uid)
                     .scalar())
        stamp = _center_stamp(after, now)
        ev = WireEvent(id=new_event_id(), kind=kind, dossier_id=dossier_uid, origin=CENTER_ID,
                       actor=actor, hlc=str(stamp), payload=payload)
        apply_events([ev], source_point=CENTER_ID, now=now)
    logger.info("center event %s %s on %s by %s", ev.id, kind, dossier_uid, actor)
    return ev
