"""Setting up a new reception point: the work behind `motcua node init`."""
from __future__ import annotations

from pathlib import Path

from motcua import errors as E
from motcua.errors import Conflict, InvalidInput
from motcua.identity import to_nfc
from motcua.inputs import check_unit_code
from node.catalogue import install_catalogue, load_default_catalogue
from node.db import open_database
from node.facts import get_state, set_state
from node.holidays import install_holidays, load_default_holidays


def init_node(data_dir: str | Path, unit_code: str, name: str, *,
              fix_unit_code: bool = False) -> dict:
    """Create the data dir, the database, the default catalogue and holiday calendar.

    Run again on the same folder it only refreshes the name, catalogue and calendar. A mistyped
    unit code can be corrected (`fix_unit_code`) as long as the point has recorded nothing and
    has not enrolled: its code is in every dossier code and known to the center after that.

    :raises InvalidInput: bad unit code or name; Conflict: the folder already holds another point
        (and it cannot, or was not asked to, be corrected).
    """
    unit_code = check_unit_code(unit_code)
    name = to_nfc(name or "").strip()
    if not name:
        raise InvalidInput(E.POINT_NAME_REQUIRED, field="name")
    open_database(data_dir)
    existing = get_state("unit_code")
    if existing and existing != unit_code:
        _check_code_fixable(data_dir, existing, fix_unit_code)
    set_state("unit_code", unit_code)
    set_state("unit_name", name)
    (Path(data_dir) / "scans").mkdir(exist_ok=True)
    procedures = install_catalogue(load_default_catalogue())
    holidays = install_holidays(load_default_holidays())
    return {"unit_code": unit_code, "name": name, "procedures_added": procedures,
            "holidays": holidays}


def _check_code_fixable(data_dir: str | Path, existing: str, asked: bool) -> None:
    """:raises Conflict: unless asked to fix a code nothing has used yet."""
    from node.enroll import keys_path
    from node.models import Event
    if not asked:
        raise Conflict(E.ALREADY_INITIALISED(unit=existing))
    if Event.select().exists() or keys_path(data_dir).exists() or get_state("central_keys"):
        raise Conflict(E.UNIT_CODE_IN_USE(unit=existing))


# ---- public addresses -------------------------------------------------------------------------

PUBLIC_ADDRESS_KEYS = {"public_url": "public:point_url", "center_lookup_url": "public:center_lookup_url"}


def public_addresses() -> dict[str, str | None]:
    """Where a citizen can reach a lookup from home: the center's lookup (`center_lookup_url`),
    else this point's own public address (`public_url`); None when not set."""
    return {name: get_state(key) or None for name, key in PUBLIC_ADDRESS_KEYS.items()}


def set_public_addresses(**given: str | None) -> dict[str, str | None]:
    """Set (an http(s) URL) or clear (an empty string) the addresses Form 01's QR and printed link
    use; names not given are kept. :raises InvalidInput: not an http(s) URL (nothing changed)."""
    from motcua.inputs import check_url
    from node.models import State
    clean = {name: (check_url(value) if value else "") for name, value in given.items()
             if name in PUBLIC_ADDRESS_KEYS and value is not None}
    for name, value in clean.items():
        if value:
            set_state(PUBLIC_ADDRESS_KEYS[name], value)
        else:
            State.delete().where(State.key == PUBLIC_ADDRESS_KEYS[name]).execute()
    return public_addresses()
