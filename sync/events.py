"""The journal's unit: an immutable event, as written on a node or at the center and as shipped.

Every change to a dossier is one `Event`, written in the same database transaction as the change it
records. Events are ordered by `(hlc, origin, id)`: the hybrid clock first, then the origin and the
event id as deterministic tie-breakers, so every side sorts the same set the same way.

Kinds (payload keys):
- `dossier.received`      full initial record: code, lookup_secret, procedure_code, catalogue_version,
                          channel, status, applicant{}, owner{}|None, received_at, due_at, fee{}, book{},
                          notes, and queue{ticket, group, desk, issued_at, called_at} when taken from a
                          called queue ticket (wait = called − issued, service = received − called)
- `dossier.corrected`     {"fields": {"applicant.phone": "0912…", …}}  plain-field writes (LWW)
- `dossier.transitioned`  {"from": 4, "to": 5, "reason": str|None, "at": iso, "due_at": iso|None,
                          "returned_to": str|None}
- `attachment.added`      {"sha256", "size", "mime", "requirement_id", "filename"}
- `attachment.removed`    {"sha256", "requirement_id"}
- `dossier.rated`         {"rating": str}
- `conflict.resolved`     {"conflict_id", "decision": "keep_a"|"keep_b"|"value", "value": any}
- `catalogue.updated`, `holidays.updated` (dossier_id is None; payload is the new data)
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

# The center's id: the origin of every event written at the center, the sender and recipient it
# goes by in parcels, receipts and stick manifests. Points are named by their unit codes, which may
# not take this name (`central.enrollment`). The one constant; every side imports it from here.
CENTER_ID = "central"

KINDS = frozenset({
    "dossier.received", "dossier.corrected", "dossier.transitioned", "attachment.added",
    "attachment.removed", "dossier.rated", "conflict.resolved", "catalogue.updated",
    "holidays.updated",
})


def new_event_id() -> str:
    """A random, globally unique event id (32 hex digits)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    dossier_id: str | None
    origin: str          # who wrote it: a point's unit code (e.g. "07024") or "central"
    actor: str           # the user who acted, e.g. "clerk1@07024"
    hlc: str             # sync.hlc.Stamp text form
    payload: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[str, str, str]:
        """Total order used everywhere: clock, then origin, then id (deterministic tie-break)."""
        return (self.hlc, self.origin, self.id)

    def to_wire(self) -> dict[str, Any]:
        """The event as a JSON-able dict; the only shape that leaves a process."""
        return {"id": self.id, "kind": self.kind, "dossier_id": self.dossier_id,
                "origin": self.origin, "actor": self.actor, "hlc": self.hlc,
                "payload": self.payload}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Event":
        """Build an event from its wire dict. :raises ValueError: on a malformed one."""
        from sync.hlc import Stamp
        if not isinstance(data, dict) or not isinstance(data.get("payload", {}), (dict, type(None))):
            raise ValueError("malformed event: an event and its payload are JSON objects")
        try:
            ev = cls(id=str(data["id"]), kind=str(data["kind"]),
                     dossier_id=None if data.get("dossier_id") is None else str(data["dossier_id"]),
                     origin=str(data["origin"]), actor=str(data["actor"]), hlc=str(data["hlc"]),
                     payload=dict(data.get("payload") or {}))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed event: {exc}") from None
        if ev.kind not in KINDS:
            raise ValueError(f"unknown event kind {ev.kind!r}")
        Stamp.parse(ev.hlc)
        return ev

    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
