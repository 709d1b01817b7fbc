"""From a folded `sync.merge.DossierState` to a `dossier` row: pure, no database.

The merge decides what the dossier *is*; this module only lays that out as columns the center and
the point can filter, sort and count on (status, times, search text). Times the merge does not keep
(finished, returned, paused) are read from the transition events the merge applied.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from motcua import legaltime
from motcua.identity import fold_for_search
from motcua.lifecycle import PAUSES, Status
from motcua.paging import compact_code
from sync.events import Event
from sync.hlc import Stamp

FINISHING = frozenset({int(Status.REFUSED), int(Status.STOPPED), int(Status.RESULT_READY)})
AFTER_FINISH = FINISHING | {int(Status.RETURNED)}
PAUSED = frozenset(int(s) for s in PAUSES)    # the clock stops: papers or payment awaited


def parse_time(value: Any, fallback_hlc: str | None = None) -> datetime | None:
    """A naive local datetime from an ISO text (aware ones are converted), else the HLC wall time."""
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
        if when is not None:
            return legaltime.from_aware(when)
    if fallback_hlc:
        try:
            wall = Stamp.parse(fallback_hlc).wall_ms
        except ValueError:
            return None
        return legaltime.from_ms(wall)
    return None


def row_search_text(row: Mapping[str, Any]) -> str:
    """`search_text` from a stored dossier row (its code columns and applicant/owner JSON): what a
    migration uses to bring old rows' search text up to date without re-folding."""
    values = {"code": row.get("code"), "official_code": row.get("official_code")}
    for group in ("applicant", "owner"):
        for key, value in (row.get(group) or {}).items():
            values[f"{group}.{key}"] = value
    return search_text(values)


def node_search_text(text: str, lookup_secret: str | None) -> str:
    """The node's search text: the shared one plus the lookup secret."""
    return f"{text} {fold_for_search(lookup_secret)}" if lookup_secret else text


def search_text(values: Mapping[str, Any]) -> str:
    """Accent-folded words a clerk may type to find a dossier."""
    parts = [values.get(k) for k in ("code", "official_code", "applicant.full_name", "applicant.id_number",
                                      "applicant.phone", "owner.full_name", "owner.id_number")]
    # Each code also whole, without separators, as a query typing it whole becomes (motcua.paging).
    parts += [compact_code(str(values[k])) for k in ("code", "official_code") if values.get(k)]
    return fold_for_search(" ".join(str(p) for p in parts if p))


def _transition_at(state, events: Mapping[str, Event], wanted: frozenset[int]) -> datetime | None:
    """When the latest applied transition into one of `wanted` happened (its `at`, else its clock)."""
    best = None
    for ref in state.left_from.values():
        if ref.to_status in wanted and (best is None or ref.hlc > best.hlc):
            best = ref
    if best is None:
        return None
    ev = events.get(best.id)
    return parse_time(ev.payload.get("at") if ev else None, best.hlc)


def dossier_row(state, events: Mapping[str, Event]) -> dict[str, Any] | None:
    """Column values for the dossier, or None while its `dossier.received` has not arrived."""
    if state.received is None:
        return None
    f = state.fields
    applicant = state.applicant
    owner = state.owner or None
    status = int(state.status) if state.status is not None else int(Status.RECEIVED)
    channel = f.get("channel")
    last_hlc = max((e.hlc for e in events.values()), default=state.received.hlc)
    received_at = parse_time(f.get("received_at"), state.received.hlc)
    return {
        "uid": state.dossier_id,
        "code": str(f.get("code") or state.dossier_id)[:255],
        "official_code": (str(f["official_code"])[:255] if f.get("official_code") else None),
        "origin": state.received.origin,
        "procedure_code": str(f.get("procedure_code") or "")[:255],
        "catalogue_version": (str(f["catalogue_version"])[:255]
                              if f.get("catalogue_version") else None),
        "channel": channel if isinstance(channel, int) and not isinstance(channel, bool) else None,
        "status": status,
        "applicant": applicant,
        "owner": owner,
        "applicant_id_number": (str(applicant["id_number"])[:255]
                                if applicant.get("id_number") else None),
        "received_at": received_at,
        "due_at": parse_time(f.get("due_at")),
        # Form 04 moved the due date: the one it replaced is what statistics judge against.
        "original_due_at": parse_time(f.get("apology.original_due_at")),
        "paused_at": (_transition_at(state, events, frozenset({status}))
                      if status in PAUSED else None),
        "finished_at": (_transition_at(state, events, FINISHING)
                        if status in AFTER_FINISH else None),
        "returned_at": (_transition_at(state, events, frozenset({int(Status.RETURNED)}))
                        if status == Status.RETURNED else None),
        "returned_to": f.get("returned_to"),
        "supplement_count": int(state.supplement_count),
        "rating": str(f["rating"])[:255] if f.get("rating") is not None else None,
        "open_conflicts": len(state.open_conflicts),
        "event_count": state.event_count,
        "updated_hlc": last_hlc,
        "search_text": search_text(f),
    }


def attachment_rows(state) -> dict[tuple[str, str], dict[str, Any]]:
    """The dossier's current attachments keyed by (requirement, sha256)."""
    out = {}
    for (req, sha), a in state.attachments.items():
        size = a.size if isinstance(a.size, int) and not isinstance(a.size, bool) else None
        out[(req, sha)] = {"dossier_uid": state.dossier_id, "requirement": req[:255],
                           "sha256": sha[:255], "size": size,
                           "mime": str(a.mime)[:255] if a.mime else None,
                           "filename": str(a.filename) if a.filename else None}
    return out
