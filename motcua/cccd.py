"""The QR code printed on a chip ID card (CCCD, thẻ căn cước), read into applicant fields.

The card's QR holds `ID|old ID|full name|ddmmyyyy birth|sex|address|ddmmyyyy issue`; a desk QR
reader types it like a keyboard (often with Enter at the end). Newer cards may append more parts
after the seventh; they are ignored. The old ID (9 digits) is often empty.

The ground floor: pure, no Flask, no database. desk.js parses the same string in the browser to
fill the form at once; this parser is the one the server trusts on submit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from motcua import errors as E
from motcua.errors import InvalidInput
from motcua.identity import to_nfc, validate_id_number

PARTS = 7


@dataclass(frozen=True)
class CardQR:
    """What the card says about its holder."""
    id_number: str
    old_id: str | None
    full_name: str
    date_of_birth: date
    sex: str
    address: str
    issued_on: date | None

    def applicant(self) -> dict[str, str]:
        """The intake form's applicant fields this card fills (date in the form's dd/mm/yyyy)."""
        return {"id_number": self.id_number, "full_name": self.full_name,
                "date_of_birth": self.date_of_birth.strftime("%d/%m/%Y"), "address": self.address}


def _ddmmyyyy(text: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return date(int(text[4:]), int(text[2:4]), int(text[:2]))


def parse_card_qr(raw: str) -> CardQR:
    """Read a CCCD QR string; the ID number is checked against the date of birth as at intake.

    :raises InvalidInput: (field "cccd_qr") not seven `|`-separated parts, a bad date, no name;
        (field "id_number") an ID number the card's date of birth contradicts.
    """
    if not isinstance(raw, str):
        raise InvalidInput(E.CCCD_QR_BAD, field="cccd_qr")
    parts = [to_nfc(p.strip()) for p in raw.strip().split("|")]
    if len(parts) < PARTS or not parts[0] or not parts[2]:
        raise InvalidInput(E.CCCD_QR_BAD, field="cccd_qr")
    try:
        born = _ddmmyyyy(parts[3])
        issued = _ddmmyyyy(parts[6]) if parts[6] else None
    except ValueError:
        raise InvalidInput(E.CCCD_QR_BAD, field="cccd_qr") from None
    number = validate_id_number(parts[0], born)
    return CardQR(id_number=number, old_id=parts[1] or None, full_name=" ".join(parts[2].split()),
                  date_of_birth=born, sex=parts[4], address=" ".join(parts[5].split()),
                  issued_on=issued)
