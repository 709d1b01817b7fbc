"""Fees at the point: the rule in force for a procedure (the catalogue's, or the council's version on
that day), what a dossier owes, collecting it later (at a supplement or the return) with its receipt
number, and the council's fees as the desk enters them. The rules themselves are `motcua.fees`.

A receipt number (biên lai) comes from one counter per point and legal year, taken in the same
IMMEDIATE transaction as the event that records it: never repeated, never reused after a crash.
"""
from __future__ import annotations

from datetime import date, datetime

from motcua import errors as E, fees, legaltime
from motcua.errors import Conflict, InvalidInput
from node.apply import Change, commit_one
from node.facts import next_counter, unit_code
from node.models import CouncilFee, Procedure, db

MAX_PAGES, MAX_COPIES = 10_000, 1_000


def rule_for(procedure: Procedure, on: date | None = None) -> fees.FeeRule | None:
    """The fee rule of `procedure` on `on`: the council's version in force when the catalogue left
    it to the council (`null`), else the catalogue's rule (a kind), else its plain amount."""
    on = on or legaltime.today()
    if procedure.fee_rule is None and procedure.fee_vnd is None:
        versions = [(r.effective_from, r.rule) for r in
                    CouncilFee.select().where(CouncilFee.procedure_code == procedure.code)
                    .order_by(CouncilFee.id)]
        return fees.read_rule(fees.in_force(versions, on))
    return fees.read_rule(procedure.fee_rule if procedure.fee_rule is not None
                          else procedure.fee_vnd)


def council_versions(code: str) -> list[CouncilFee]:
    """The council's fee versions entered for `code`, oldest first."""
    return list(CouncilFee.select().where(CouncilFee.procedure_code == code)
                .order_by(CouncilFee.effective_from, CouncilFee.id))


def read_counts(pages, copies) -> tuple[int, int]:
    """Pages and copies as typed (text or numbers); 1 when left empty.
    :raises InvalidInput: anything else."""
    out = []
    for name, value, high in (("fee_pages", pages, MAX_PAGES), ("fee_copies", copies, MAX_COPIES)):
        if value in (None, ""):
            out.append(1)
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise InvalidInput(E.FEE_COUNT_BAD(max=high), field=name)
        out.append(value)
    return out[0], out[1]


def due_for(procedure: Procedure, *, pages=None, copies=None, on: date | None = None) -> dict:
    """What a dossier of `procedure` owes: `{vnd, kind, pages, copies, rule}` (vnd None: the
    council's fee is not entered yet). :raises InvalidInput: bad pages or copies."""
    pages, copies = read_counts(pages, copies)
    rule = rule_for(procedure, on)
    return {"vnd": fees.amount_due(rule, pages=pages, copies=copies),
            "kind": rule.kind if rule else None, "pages": pages, "copies": copies, "rule": rule}


def check_method(method) -> str:
    if method not in fees.METHODS:
        raise InvalidInput(E.FEE_METHOD_BAD, field="fee_method")
    return method


def next_receipt_no(now: datetime) -> str:
    """The next receipt (biên lai) number of this point and year; call inside the IMMEDIATE
    transaction that records it."""
    return f"{unit_code()}-{now:%Y}-{next_counter(f'receipt:{now:%Y}'):05d}"


def collect(code: str, method, stage, actor: str, *, now: datetime | None = None):
    """Record the fee collected now (when: `stage`; how: `method`) with a new receipt number.

    :raises InvalidInput: bad method or stage; Conflict: nothing due, not entered yet, or paid.
    """
    from node.reception import get_dossier
    now = (now or legaltime.now()).replace(microsecond=0)
    check_method(method)
    if stage not in fees.STAGES:
        raise InvalidInput(E.FEE_STAGE_BAD, field="fee_stage")
    with db.atomic("IMMEDIATE"):
        dossier = get_dossier(code)
        if dossier.fee_paid:
            raise Conflict(E.FEE_ALREADY_PAID(receipt=dossier.fee_receipt_no or "—"))
        if dossier.fee_vnd is None:
            raise Conflict(E.FEE_UNSET)
        if not dossier.fee_vnd:
            raise Conflict(E.FEE_NOTHING_DUE)
        return commit_one(Change("dossier.corrected", dossier.uid, {"fields": {
            "fee.paid": True, "fee.method": method, "fee.stage": stage,
            "fee.receipt_no": next_receipt_no(now), "fee.collected_at": now.isoformat()}}),
            actor, now=now)


def set_council_fee(code: str, raw_rule, effective_from: date, actor: str, *,
                    source: str | None = None, now: datetime | None = None) -> CouncilFee:
    """Enter a fee the provincial council set for `code` from `effective_from` on (a new version;
    earlier ones stay for the dossiers they priced).

    :raises InvalidInput: a bad rule; Conflict: the catalogue itself fixes this procedure's fee.
    """
    from node.catalogue import get_procedure
    now = now or legaltime.now()
    procedure = get_procedure(code, effective_from)
    if procedure.fee_rule is not None or procedure.fee_vnd is not None:
        raise Conflict(E.FEE_NOT_COUNCIL(code=procedure.code))
    try:
        rule = fees.read_rule(raw_rule)
    except fees.FeeRuleError as exc:
        raise InvalidInput(E.FEE_RULE_BAD(why=str(exc)), field="rule") from None
    if rule is None:
        raise InvalidInput(E.FEE_RULE_BAD(why="trống"), field="rule")
    if source is not None and (not isinstance(source, str) or len(source) > 300):
        raise InvalidInput(E.FIELD_BAD_VALUE, field="source")
    with db.atomic("IMMEDIATE"):
        return CouncilFee.create(procedure_code=procedure.code, effective_from=effective_from,
                                 rule=rule.to_dict(), source=source, set_by=actor, set_at=now)
