"""The catalogue of procedures a point can receive, versioned by effective date.

Loaded on `node init` from the default shipped with the package; the center later sends new versions
(`catalogue.updated`), which are added beside the old ones so a dossier keeps the version it was
received under. The version "in force" is the newest whose effective date has come.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources

from motcua import errors as E, fees, legaltime
from motcua.errors import InvalidInput, NotFound
from motcua.identity import fold_for_search, to_nfc
from node.facts import get_state, set_state
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
            if item.get("fields"):       # what this procedure asks beyond the applicant
                set_state(_fields_key(item["code"], version),
                          json.dumps([spec.as_dict() for spec in read_field_specs(item["fields"])],
                                     ensure_ascii=False))
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


# ---- procedure-specific fields ----------------------------------------------------------------

FIELD_TYPES = ("text", "name", "date", "choice")
MAX_FIELDS = 20


@dataclass(frozen=True)
class FieldSpec:
    """One field a procedure asks beyond the applicant (birth registration: the child's name, date
    and place of birth), as the catalogue declares it. Values travel in `dossier.received`
    `details` and are printed on Form 01."""
    key: str
    label_vi: str
    label_en: str | None = None
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"key": self.key, "label_vi": self.label_vi, "label_en": self.label_en,
                "type": self.type, "required": self.required, "choices": list(self.choices)}


def read_field_specs(raw) -> list[FieldSpec]:
    """The declarations of a catalogue entry, checked (a bad catalogue is refused whole).
    :raises InvalidInput: not a list of {key, label_vi, type, …} with known types."""
    if not isinstance(raw, list) or len(raw) > MAX_FIELDS:
        raise InvalidInput(E.CATALOGUE_FIELDS_BAD(why="fields"), field="fields")
    specs = []
    for item in raw:
        ok = (isinstance(item, dict) and isinstance(item.get("key"), str)
              and re.fullmatch(r"[a-z][a-z0-9_]{0,39}", item["key"])
              and isinstance(item.get("label_vi"), str) and item.get("type", "text") in FIELD_TYPES
              and (item.get("type") != "choice" or (isinstance(item.get("choices"), list)
                                                    and all(isinstance(c, str) for c in item["choices"])
                                                    and item["choices"])))
        if not ok:
            raise InvalidInput(E.CATALOGUE_FIELDS_BAD(why=str(item)[:80]), field="fields")
        specs.append(FieldSpec(item["key"], to_nfc(item["label_vi"]), item.get("label_en"),
                               item.get("type", "text"), bool(item.get("required")),
                               tuple(to_nfc(c) for c in item.get("choices") or ())))
    return specs


def _fields_key(code: str, version: str) -> str:
    return f"catalogue:fields:{code}:{version}"


def fields_of(procedure: Procedure) -> list[FieldSpec]:
    """The procedure's own fields in its catalogue version: as installed, else as the shipped
    catalogue declares them for that version (a point installed before fields existed)."""
    stored = get_state(_fields_key(procedure.code, procedure.catalogue_version))
    if stored:
        return read_field_specs(json.loads(stored))
    shipped = load_default_catalogue()
    if str(shipped["catalogue_version"]) == procedure.catalogue_version:
        for item in shipped["procedures"]:
            if item["code"] == procedure.code:
                return read_field_specs(item.get("fields") or [])
    return []


def validate_details(specs: list[FieldSpec], raw, *, today: date) -> tuple[dict, dict[str, str]]:
    """Clean the values of a procedure's own fields; returns (clean, errors keyed `details.key`).
    Keys the procedure does not declare are refused; dates are stored as ISO, never in the future."""
    from motcua.identity import parse_date_vi, validate_full_name
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return {}, {"details": E.FIELD_BAD_VALUE()}
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    known = {s.key for s in specs}
    for key in raw:
        if key not in known:
            errors[f"details.{str(key)[:40]}"] = E.FIELD_BAD_VALUE()
    for spec in specs:
        value = raw.get(spec.key)
        if value is not None and not isinstance(value, str):
            errors[f"details.{spec.key}"] = E.FIELD_BAD_VALUE()
            continue
        value = to_nfc((value or "").strip())
        if not value:
            if spec.required:
                errors[f"details.{spec.key}"] = E.FIELD_REQUIRED()
            continue
        if len(value) > 300:
            errors[f"details.{spec.key}"] = E.FIELD_BAD_VALUE()
            continue
        try:
            if spec.type == "name":
                value = validate_full_name(value)
            elif spec.type == "date":
                value = parse_date_vi(value, today=today).isoformat()   # never in the future
            elif spec.type == "choice" and value not in spec.choices:
                raise InvalidInput(E.FIELD_NOT_A_CHOICE(choices=", ".join(spec.choices)))
        except InvalidInput as exc:
            errors[f"details.{spec.key}"] = exc.said or exc.message_vi
            continue
        clean[spec.key] = value
    return clean, errors
