"""Setting up a new reception point: the work behind `motcua node init`."""
from __future__ import annotations

import re
from pathlib import Path

from motcua import errors as E
from motcua.errors import Conflict, InvalidInput
from motcua.identity import to_nfc
from node.catalogue import install_catalogue, load_default_catalogue
from node.db import open_database
from node.holidays import install_holidays, load_default_holidays
from node.state import get_state, set_state


def init_node(data_dir: str | Path, unit_code: str, name: str) -> dict:
    """Create the data dir, the database, the default catalogue and holiday calendar.

    :raises InvalidInput: bad unit code or name; Conflict: the folder already holds another point.
    """
    unit_code = (unit_code or "").strip()
    if not re.fullmatch(r"[0-9A-Za-z.]{2,20}", unit_code):
        raise InvalidInput(E.BAD_UNIT_CODE,
                           field="unit_code")
    name = to_nfc(name or "")
    if not name:
        raise InvalidInput(E.POINT_NAME_REQUIRED, field="name")
    open_database(data_dir)
    existing = get_state("unit_code")
    if existing and existing != unit_code:
        raise Conflict(E.ALREADY_INITIALISED(unit=existing))
    set_state("unit_code", unit_code)
    set_state("unit_name", name)
    (Path(data_dir) / "scans").mkdir(exist_ok=True)
    procedures = install_catalogue(load_default_catalogue())
    holidays = install_holidays(load_default_holidays())
    return {"unit_code": unit_code, "name": name, "procedures_added": procedures,
            "holidays": holidays}
