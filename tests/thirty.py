"""The hand-checked fixture of 30 dossiers (`tests/fixtures/thirty/`): load it, play it on a node,
carry the node's journal to a center. Reused by other tests (the center's desk, its dashboard)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "thirty"
ACTOR = "lan@07024"


def load() -> dict:
    return json.loads((FIXTURE / "dossiers.json").read_text(encoding="utf-8"))


def expected() -> dict:
    return json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _body(item: dict) -> dict:
    from tests.conftest import dossier_body
    fee = item.get("fee") or {}
    body = dossier_body(procedure_code=item["procedure"],
                        channel=2 if item.get("start") == "online" else 1)
    body.update({"fee_paid": bool(fee.get("paid")), "fee_method": fee.get("method"),
                 "fee_pages": fee.get("pages"), "fee_copies": fee.get("copies")})
    return body


def play_on_node(data: dict | None = None, actor: str = ACTOR) -> dict[str, str]:
    """Every dossier's steps through the node's domain functions, each at its own legal time (the
    PC's clock and zone play no part); returns fixture id → dossier code. Needs an open node."""
    from node import clerk, fees, reception
    data = data or load()
    for fee in data.get("council_fees", []):
        fees.set_council_fee(fee["procedure"], fee["rule"], date.fromisoformat(fee["effective_from"]),
                             actor, source=fee.get("source"), now=_t(fee["at"]))
    codes = {}
    for item in data["dossiers"]:
        at, start = _t(item["received"]), item.get("start")
        if start == "refuse":
            d = reception.refuse_at_reception(_body(item), item["reason"], actor, now=at)
        elif start == "guide":
            d = reception.guide_at_reception(_body(item), item["to_add"], actor, now=at)
        else:
            d = reception.receive_dossier(_body(item), actor, now=at)
        for step in item["steps"]:
            when = _t(step["at"])
            if "to" in step:
                reception.transition(d.code, step["to"], actor, reason=step.get("reason"), now=when)
            elif "collect" in step:
                fees.collect(d.code, step["collect"]["method"], step["collect"]["stage"], actor,
                             now=when)
            elif "apology" in step:
                clerk.set_new_due_date(d.code, _t(step["apology"]["new_due"]),
                                       step["apology"]["reason"], actor, now=when)
        codes[item["id"]] = d.code
    return codes


def node_journal() -> list:
    """The node's whole journal as the events a parcel carries, in its order."""
    from node.journal import to_wire
    from node.models import Event
    return [to_wire(e) for e in Event.select().order_by(Event.seq)]


def apply_at_center(events: list, unit: str = "07024", now: datetime | None = None) -> None:
    """The center's apply path (what ingest calls for a parcel), in one write transaction."""
    from central.apply import apply_events
    from central.db import write_transaction
    from central.models import Point
    if not Point.select().where(Point.unit_code == unit).exists():
        Point.create(unit_code=unit, name="Quan Lạn", sign_pub="x", enc_pub="y", key_status="active",
                     enrolled_at=datetime(2026, 1, 1))
    with write_transaction():
        apply_events(events, source_point=unit, now=now or _t(expected()["now"]))
