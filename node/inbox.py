"""What comes down from the center: its events for this point, applied once, in one transaction.

A down parcel is opened with the center's pinned keys, checked against the down chain kept in the
`state` table (`sync:down_last_seq`, `sync:down_last_hash`, written in the same transaction as the
events), and its events go into this node's journal (already acknowledged: they came from the
center and are never shipped back up). Each touched dossier is re-folded by the node's one write
path (`node.apply.refold`, `sync.merge` then `sync.folding`), so the point computes exactly what
the center computes, conflicts included; catalogue and holiday updates are installed.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Sequence

from motcua import errors as E, legaltime
from node import catalogue, holidays
from node.apply import refold
from node.facts import get_state, set_state
from node.journal import observe_stamp
from node.models import Dossier, Event, db
from sync import crypto, hlc, policy
from sync.events import CENTER_ID, Event as WireEvent
from sync.parcel import ParcelHeader, ParcelRefused, check_sequence, open_parcel, parcel_sha256, peek_header
from sync.receipt import build_receipt

logger = logging.getLogger(__name__)


def take_down_parcel(data: bytes, *, node_id: str, identity: crypto.Identity,
                     center_keys: crypto.PublicKeys, now: datetime | None = None,
                     older: Sequence[crypto.Identity] = ()) -> tuple[str, bytes]:
    """Open, check and apply one down parcel; returns (result, this node's signed receipt).
    `older`: keys to try when `identity` cannot decrypt it (sealed before a key rotation)."""
    now = now or legaltime.now()
    psha = parcel_sha256(data)
    stamp = str(hlc.Stamp(legaltime.to_ms(now), 0))
    try:
        header = peek_header(data)
    except ParcelRefused as exc:
        logger.warning("down parcel %s refused: %s", psha[:16], exc.reason)
        blank = ParcelHeader(CENTER_ID, node_id, 1, "", str(hlc.ZERO), "events", "0" * 64, 0)
        return "refused", build_receipt(identity, blank, psha, stamp, "refused", exc.reason)
    logger.info("down parcel %s seq %d apply start", psha[:16], header.seq)
    refusal = None
    try:
        opened = _open_down(data, node_id, center_keys, [identity, *older])
        with db.atomic("IMMEDIATE"):
            last_seq = int(get_state("sync:down_last_seq", "0"))
            last_hash = get_state("sync:down_last_hash", "") or ""
            decision = check_sequence(last_seq, last_hash, header, parcel_sha256=psha)
            if decision == "apply":
                events = opened.body if header.kind == "events" else []
                refusal = _judge(events, node_id)
                if refusal is None:
                    apply_center_events(events, now=now)
                # A refused parcel still takes its place in the chain: nothing of it is applied,
                # and the center's later parcels go on being applied.
                set_state("sync:down_last_seq", str(header.seq))
                set_state("sync:down_last_hash", psha)
    except (ParcelRefused, ValueError) as exc:
        refusal = exc
    except Exception as exc:        # a bug must not stop the round: the clerk's scans still leave
        logger.exception("down parcel %s: unexpected error", psha[:16])
        refusal = ParcelRefused(E.INTERNAL_ERROR_POINT(detail=type(exc).__name__))
    if refusal is not None:
        reason = getattr(refusal, "reason", "malformed_plaintext")
        logger.warning("down parcel %s refused: %s %s", psha[:16], reason,
                       getattr(refusal, "message_vi", refusal))
        set_state("sync:down_refused", f"{now.isoformat(timespec='seconds')} gói {header.seq}: "
                                       f"{getattr(refusal, 'message_vi', reason)}"[:500])
        return "refused", build_receipt(identity, header, psha, stamp, "refused", reason)
    result = {"apply": "applied", "duplicate": "duplicate", "hold": "held"}[decision]
    logger.info("down parcel %s seq %d %s", psha[:16], header.seq, result)
    return result, build_receipt(identity, header, psha, stamp, result)


def _judge(events: list[WireEvent], node_id: str) -> ParcelRefused | None:
    """Schema and authorization (`sync.policy`) of the center's events: only dossiers of this
    point, rules only from the center."""
    uids = sorted({ev.dossier_id for ev in events if isinstance(ev.dossier_id, str)})
    owned = {uid for (uid,) in Dossier.select(Dossier.uid).where(Dossier.uid.in_(uids)).tuples()}
    found = policy.judge_events(events, sender=policy.CENTER, receiver=node_id,
                                owners={uid: node_id for uid in owned})
    if found is None:
        return None
    return ParcelRefused(E.PARCEL_BAD_PAYLOAD(detail=found.said) if found.code == "bad_payload" else
                         E.PARCEL_UNAUTHORIZED(detail=found.said))


def _open_down(data: bytes, node_id: str, center_keys: crypto.PublicKeys,
               identities: list[crypto.Identity]):
    """Open with the keys in use, then with older ones; the first refusal stands otherwise."""
    first = None
    for identity in identities:
        try:
            return open_parcel(data, expected_recipient=node_id, recipient_identity=identity,
                               sender_keys_lookup=lambda s: center_keys if s == CENTER_ID else None)
        except ParcelRefused as exc:
            if exc.reason != "decrypt_failed":
                raise
            first = first or exc
    raise first


def apply_center_events(events: list[WireEvent], *, now: datetime) -> int:
    """Store the events this node lacks and fold what they touch; call inside a write transaction.
    Returns how many were new. :raises ValueError: an event merge cannot take (caller rolls back)."""
    ids = [ev.id for ev in events]
    held = {eid for (eid,) in Event.select(Event.event_id).where(Event.event_id.in_(ids)).tuples()}
    new = sorted((ev for ev in events if ev.id not in held), key=WireEvent.sort_key)
    for ev in new:
        Event.create(event_id=ev.id, kind=ev.kind, dossier_uid=ev.dossier_id, origin=ev.origin,
                     actor=ev.actor, hlc=ev.hlc, payload=ev.payload, recorded_at=now, acked_at=now)
        observe_stamp(ev.hlc)
        if ev.kind == "catalogue.updated":
            catalogue.install_catalogue(ev.payload)
        elif ev.kind == "holidays.updated":
            holidays.install_holidays(ev.payload)
    refold({ev.dossier_id for ev in new if ev.dossier_id}, now=now)
    return len(new)
