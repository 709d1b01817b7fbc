"""The catalogue of procedures a point can receive, versioned by effective date.

Loaded on `node init` from the default shipped with the package; the center later sends new versions
(`catalogue.updated`), which are added beside the old ones so a dossier keeps the version it was
received under. The version "in force" is the newest whose effective date has come.
"""
from __future__ import annotations

import json
from datetime import date
from importlib import resources

from motcua import errors as E, fees, legaltime
from motcua.errors import InvalidInput, NotFound
from motcua.identity import fold_for_search, to_nfc
from node.models import Procedure, Requirement, db


def load_default_catalogue() -> dict:
    """The catalogue shipped with motcua: {catalogue_version, effective_from, procedures: [...]}."""
    text = resources.files("motcua.data").joinpath("catalogue.json").read_text(encoding="utf-8")
    return json.loads(text)


def requirement_key(procedure_code: str, position: int) -> str:
    """Stable id of a required document, e.g. `1.001193-d1`."""
    return f"{procedure_code}-d{position}"


def install_catalogue(catalogue: dict) -> int:
    """Add a catalogue version (idempotent per version); returns the number of procedures added."""
    version = str(catalogue["catalogue_version"])
    effective = date.fromisoformat(catalogue["effective_from"])
    added = 0
    with db.atomic():
        for item in catalogue["procedures"]:
            if Procedure.get_or_none(code=item["code"], catalogue_version=version):
                continue
            name_vi = to_nfc(item["name_vi"])
            proc = Procedure.create(
                code=item["code"], catalogue_version=version, effective_from=effective,
                name_vi=name_vi, name_en=item.get("name_en"), level=item.get("level"),
                processing_days=int(item["processing_days"]), fee_vnd=item.get("fee_vnd"),
                fee_rule=fees.read_rule(item["fee"]).to_dict() if item.get("fee") else None,
                source=item.get("source"), confidence=item.get("confidence"),
                search_text=fold_for_search(f"{item['code']} {name_vi} {item.get('name_en') or ''}"))
            for position, doc in enumerate(item.get("required_documents", []), start=1):
                Requirement.create(procedure=proc, key=requirement_key(item["code"], position),
                                   position=position, name_vi=to_nfc(doc["name_vi"]),
                                   copies=int(doc.get("copies", 1)),
                                   original_required=bool(doc.get("original_required", False)))
            added += 1
    return added


def procedures_in_force(on: date | None = None) -> list[Procedure]:
    """Each procedure code once, in the newest version effective on `on` (default today)."""
    on = on or legaltime.today()
    rows = (Procedure.select().where(Procedure.effective_from <= on)
            .order_by(Procedure.code, Procedure.effective_from.desc(), Procedure.id.desc()))
    seen, result = set(), []
    for row in rows:
        if row.code not in seen:
            seen.add(row.code)
            result.append(row)
    return result


def get_procedure(code: str, on: date | None = None) -> Procedure:
    """The version of procedure `code` in force. :raises NotFound: when the code is not in the catalogue."""
    on = on or legaltime.today()
    row = (Procedure.select().where((Procedure.code == str(code)) & (Procedure.effective_from <= on))
           .order_by(Procedure.effective_from.desc(), Procedure.id.desc()).first())
    if row is None:
        raise InvalidInput(E.UNKNOWN_PROCEDURE(code=code), field="procedure_code")
    return row


def search_procedures(query: str, on: date | None = None) -> list[Procedure]:
    """Procedures whose code or name contains every word typed, accents optional."""
    words = fold_for_search(query or "").split()
    return [p for p in procedures_in_force(on) if all(w in p.search_text for w in words)]


def requirements_of(procedure: Procedure) -> list[Requirement]:
    return list(procedure.requirements.order_by(Requirement.position))


def procedure_to_dict(procedure: Procedure) -> dict:
    return {
        "code": procedure.code, "name_vi": procedure.name_vi, "name_en": procedure.name_en,
        "catalogue_version": procedure.catalogue_version,
        "effective_from": procedure.effective_from.isoformat(),
        "processing_days": procedure.processing_days, "fee_vnd": procedure.fee_vnd,
        "fee": procedure.fee_rule,
        "level": procedure.level,
        "required_documents": [
            {"id": r.key, "name_vi": r.name_vi, "copies": r.copies,
             "original_required": r.original_required} for r in requirements_of(procedure)],
    }


__all__ = ["load_default_catalogue", "install_catalogue", "procedures_in_force", "get_procedure",
           "search_procedures", "requirements_of", "procedure_to_dict", "NotFound"]
