"""The citizen's lookup at the center: the same code + secret as Form 01's QR, so a citizen at home
finds a dossier once its point has synced (the point's own desk is on a LAN the citizen cannot
reach). The secret travels inside `dossier.received`; it is read from the dossier's journal here,
never stored in a column the officers' search could match.
"""
from __future__ import annotations

import hmac
import json
from functools import lru_cache
from importlib import resources

from central.apply import _stored_events
from central.models import Dossier, Throttle as ThrottleRow
from motcua import errors as E
from motcua.errors import NotFound
from motcua.lifecycle import Status
from motcua.throttle import Throttle
from sync import merge
from sync.events import Event as WireEvent


@lru_cache(maxsize=1)
def _procedure_names() -> dict[str, str]:
    text = resources.files("motcua.data").joinpath("catalogue.json").read_text(encoding="utf-8")
    return {p["code"]: p["name_vi"] for p in json.loads(text)["procedures"]}


def public_lookup(code: str, secret: str) -> dict:
    """Procedure, status, due date and what to bring, for a matching code (or official code) and
    secret. :raises NotFound: unknown code OR wrong secret, the same answer for both."""
    refused = NotFound(E.LOOKUP_REFUSED)
    code, secret = (code or "").strip(), (secret or "").strip().upper()
    if not code or not secret or len(code) > 60 or len(secret) > 20:
        raise refused
    dossier = Dossier.get_or_none((Dossier.code == code) | (Dossier.official_code == code))
    events = _stored_events([dossier.uid]).get(dossier.uid, []) if dossier else []
    state = merge.fold(events) if dossier else None
    expected = str(state.fields.get("lookup_secret") or "") if state else ""
    if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
        raise refused
    waiting = dossier.status == int(Status.SUPPLEMENT_REQUESTED)
    return {"code": dossier.code, "procedure": _procedure_names().get(dossier.procedure_code,
                                                                       dossier.procedure_code),
            "status": dossier.status, "due_at": dossier.due_at,
            "to_bring": _last_reason(events) if waiting else None}


def _last_reason(events: list[WireEvent]) -> str | None:
    """The reason of the latest status move that gave one (what a supplement request asks for)."""
    moves = sorted((ev for ev in events
                    if ev.kind == "dossier.transitioned" and ev.payload.get("reason")),
                   key=WireEvent.sort_key)
    return str(moves[-1].payload["reason"]) if moves else None


def guarded_lookup(code: str, secret: str, *, max_failures: int = 5,
                   lock_seconds: float = 900) -> dict:
    """`public_lookup`, wrong secrets counted per code in the database (as at the point).
    :raises TooManyAttempts: while the code waits; NotFound: as `public_lookup`."""
    guard = Throttle(ThrottleRow, "lookup")
    key = (code or "").strip().upper()[:60]
    guard.check(key, E.LOOKUP_LOCKED)
    try:
        return public_lookup(code, secret)
    except NotFound:
        guard.fail(key, limit=max_failures, window_seconds=lock_seconds)
        raise
