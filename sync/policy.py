"""Who may change what: the authorization policy for journal events, pure, used on both sides.

A valid signature says who sent a parcel, not what it may change. Before any event is applied —
at the center's ingest and at a point's inbox — every event of the parcel goes through `authorize`,
and one refused event refuses the parcel whole. The rules:

- **Rules, users, keys** (`CENTER_ONLY_KINDS`) come only from the center.
- **A point speaks only for itself**: an event's origin is the parcel's sender, except that the
  center relays what it holds.
- **A dossier belongs to the point that received it.** Its `dossier.received` must come from that
  point, carry that point's unit code as the code's prefix (`07024-260101-0001`), and name a uid no
  other point already holds. Every later event on it comes from its point or from the center.
- **What a dossier was received with** (applicant, papers, the procedure's own fields in
  `details`) is said only by its point, in `dossier.received`; later changes are corrections.
- **A conflict decision** (`conflict.resolved`) only by a party of the conflict: the dossier's point
  or the center (possible duplicates across points are decided at the center).

`owners` maps each dossier uid the receiver already knows to the point that owns it. The table in
`docs/protocol.md` ("Authorization") is generated from `policy_table()` and a test keeps them equal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from motcua import errors as E
from sync.events import CENTER_ID, KINDS, Event
from sync.schema import SchemaError, check_event

CENTER = CENTER_ID                 # the name this module has always used
CENTER_ONLY_KINDS = frozenset({"catalogue.updated", "holidays.updated"})
DOSSIER_KINDS = KINDS - CENTER_ONLY_KINDS


@dataclass(frozen=True)
class Refusal:
    """Why one event is outside the policy: a stable code and a sentence for the technician
    (`said`: the catalogue message, in either language)."""
    code: str
    event_id: str
    message_vi: str
    said: E.Said | None = field(default=None, compare=False)


def code_prefix(code: object) -> str:
    """The unit code a dossier code starts with (`07024-260101-0001` → `07024`)."""
    return str(code).split("-", 1)[0] if isinstance(code, str) else ""


def authorize(ev: Event, *, sender: str, owner: str | None,
              receiver: str = CENTER) -> Refusal | None:
    """None when `sender` may deliver `ev` to `receiver`, given the dossier's known `owner`;
    else why not. A point (`receiver` ≠ center) takes events only on dossiers it owns."""
    def refuse(why: E.Said | E.Message) -> Refusal:
        why = E.as_said(why)
        said = E.EVENT_REFUSED(kind=ev.kind, event=ev.id[:12], origin=ev.origin, why=why)
        return Refusal(why.code, ev.id, said.text("vi"), said)

    if sender != CENTER and ev.origin != sender:
        return refuse(E.FOREIGN_ORIGIN(sender=sender))
    if ev.kind in CENTER_ONLY_KINDS:
        if ev.origin != CENTER:
            return refuse(E.CENTER_ONLY)
        if ev.dossier_id is not None:
            return refuse(E.RULE_HAS_DOSSIER)
        return None
    if not ev.dossier_id:
        return refuse(E.NO_DOSSIER)
    if receiver != CENTER and (owner or ev.origin) != receiver:
        return refuse(E.NOT_OWNER_HERE(point=receiver))
    if ev.kind == "dossier.received":
        if ev.origin == CENTER:
            return refuse(E.RECEIVED_AT_CENTER)
        if code_prefix(ev.payload.get("code")) != ev.origin:
            return refuse(E.CODE_PREFIX)
        if owner is not None and owner != ev.origin:
            return refuse(E.OWNED_BY(owner=owner))
        return None
    if owner is None:
        return refuse(E.UNKNOWN_DOSSIER)
    if ev.origin not in (owner, CENTER):
        return refuse(E.OWNED_BY_OTHER(owner=owner))
    return None


def authorize_all(events: Iterable[Event], *, sender: str, owners: Mapping[str, str],
                  receiver: str = CENTER) -> list[Refusal]:
    """Every refusal among `events` in order; a dossier received earlier in the same list counts as
    owned by its point for the events after it (a point ships a dossier with its first scans)."""
    known = dict(owners)
    out = []
    for ev in events:
        refusal = authorize(ev, sender=sender, owner=known.get(ev.dossier_id or ""),
                            receiver=receiver)
        if refusal is not None:
            out.append(refusal)
        elif ev.kind == "dossier.received":
            known.setdefault(ev.dossier_id, ev.origin)
    return out


def authorize_heartbeat(body: Mapping, *, sender: str) -> E.Said | None:
    """None when `sender` may report this heartbeat: a point speaks only for itself, and the
    center sends none."""
    unit = str(body.get("unit_code", ""))
    if sender == CENTER or unit != sender:
        return E.HEARTBEAT_FOREIGN(unit=unit[:32], sender=sender[:32])
    return None


# --- the table in docs/protocol.md ----------------------------------------------------------------

_POINT, _OTHER = "07024", "07027"
ORIGINS = {"the center": CENTER, "the dossier's point": _POINT, "another point": _OTHER}


def _sample(kind: str, origin: str) -> Event:
    payload = {"code": f"{origin}-260101-0001"} if kind == "dossier.received" else {}
    dossier = None if kind in CENTER_ONLY_KINDS else "d" * 32
    return Event("e" * 32, kind, dossier, origin, "x", "0" * 15 + "-00000", payload)


def policy_table() -> list[tuple[str, str, str]]:
    """(kind, origin, verdict) for each kind and each origin, with the dossier owned by
    "the dossier's point" (and, for `dossier.received`, not yet known)."""
    rows = []
    for kind in sorted(KINDS):
        for label, origin in ORIGINS.items():
            owner = None if kind == "dossier.received" else _POINT
            ev = _sample(kind, origin)
            if kind == "dossier.received" and origin == _OTHER:
                owner = _POINT        # the uid is already held by another point
            refusal = authorize(ev, sender=origin, owner=owner)
            rows.append((kind, label, "allow" if refusal is None else f"refuse ({refusal.code})"))
    return rows


def judge_events(events: Iterable[Event], *, sender: str, owners: Mapping[str, str],
                 receiver: str = CENTER) -> Refusal | None:
    """The first reason to refuse a parcel of `events` whole: a payload outside its kind's schema
    (`sync.schema`), then an event outside the policy; None when every event may be applied."""
    events = list(events)
    for ev in events:
        try:
            check_event(ev)
        except (SchemaError, ValueError) as exc:
            said = E.EVENT_BAD_PAYLOAD(kind=str(ev.kind)[:40], event=str(ev.id)[:12], detail=exc)
            return Refusal(said.code, ev.id, said.text("vi"), said)
    refusals = authorize_all(events, sender=sender, owners=owners, receiver=receiver)
    return refusals[0] if refusals else None


def policy_markdown() -> str:
    """The policy table as it stands in docs/protocol.md: one row per kind, one column per origin."""
    verdicts: dict[str, dict[str, str]] = {}
    for kind, origin, verdict in policy_table():
        verdicts.setdefault(kind, {})[origin] = verdict
    lines = ["| kind | " + " | ".join(f"from {o}" for o in ORIGINS) + " |",
             "|---|" + "---|" * len(ORIGINS)]
    for kind in sorted(verdicts):
        lines.append(f"| `{kind}` | " + " | ".join(verdicts[kind][o] for o in ORIGINS) + " |")
    return "\n".join(lines)
