"""Identity and text rules: ID numbers, phones, e-mails, names, dates.

Pure functions shared by the node and the center. Every check raises `InvalidInput` with a Vietnamese
message a clerk can read aloud and the `field` the form should highlight. Text is stored in NFC, because
Vietnamese keyboards and pasted text often arrive decomposed (NFD) and would otherwise compare unequal.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from motcua import errors as E
from motcua.errors import InvalidInput

# Province (birth-registration) codes of the personal ID number: the 63 provinces before the 2025
# merger, as listed in Circular 07/2016/TT-BCA (kept by Circular 59/2021/TT-BCA). Numbers issued
# before the merger keep their code for life, so the old list stays the one to check against.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh",
    "024": "Bắc Giang", "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương",
    "031": "Hải Phòng", "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình",
    "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam",
    "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên", "056": "Khánh Hòa",
    "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum", "064": "Gia Lai", "066": "Đắk Lắk",
    "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước", "072": "Tây Ninh",
    "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "TP. Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

_SEPARATORS = re.compile(r"[\s.\-()]+")
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MAX_NAME_LENGTH = 100


# --- text -----------------------------------------------------------------------------------------

def to_nfc(text: str) -> str:
    """Return `text` in NFC with outer spaces stripped and inner runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def to_nfc_lines(text: str) -> str:
    """Like `to_nfc`, line by line: a list typed one item a line (what Form 02 asks to add, the
    reasons of Form 03) keeps its lines; blank lines go."""
    return "\n".join(line for line in (to_nfc(part) for part in text.splitlines()) if line)


def fold_for_search(text: str) -> str:
    """Return an accent-free, lowercase key so that "nguyen van a" finds "Nguyễn Văn A"."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # đ/Đ are letters of their own, not d plus a mark: NFD leaves them whole.
    bare = bare.replace("đ", "d").replace("Đ", "D")
    return " ".join(bare.lower().split())


# --- personal ID number ---------------------------------------------------------------------------

def _clean_digits(value: str) -> str:
    return _SEPARATORS.sub("", value)


def validate_id_number(value: str, date_of_birth: date | None = None, *,
                       allow_legacy: bool = False) -> str:
    """Return the cleaned 12-digit personal ID number (or a 9-digit old one when `allow_legacy`).

    :raises InvalidInput: (field "id_number") wrong length, non-digits, unknown province code, or a
        century/year code that disagrees with `date_of_birth`.
    """
    def fail(message: E.Said | E.Message) -> InvalidInput:
        return InvalidInput(message, field="id_number")

    if not isinstance(value, str):
        # An int would have lost the leading zeros of the province code.
        raise fail(E.ID_NOT_TEXT)
    if not value.strip():
        raise fail(E.ID_MISSING)
    number = _clean_digits(value)
    if not number.isascii() or not number.isdigit():
        raise fail(E.ID_NOT_DIGITS)
    if len(number) == 9:
        if allow_legacy:
            return number
        raise fail(E.ID_LEGACY)
    if len(number) != 12:
        raise fail(E.ID_LENGTH(n=len(number)))
    province = number[:3]
    if province not in PROVINCE_CODES:
        raise fail(E.ID_PROVINCE(province=province))
    if date_of_birth is not None:
        year = _birth_year(number)
        if year != date_of_birth.year:
            raise fail(E.ID_BIRTH_YEAR(digits=number[3:6], year=year, born=date_of_birth))
    return number


def _birth_year(number: str) -> int:
    # G = 0/1 for the 1900s, 2/3 for the 2000s, ... 8/9 for the 2300s; even = male, odd = female.
    century = 1900 + 100 * (int(number[3]) // 2)
    return century + int(number[4:6])


def id_number_birth_year(value: str) -> int:
    """Return the birth year encoded in a 12-digit ID number.

    :raises InvalidInput: as `validate_id_number`; old 9-digit numbers carry no year.
    """
    return _birth_year(_require_12(value))


def id_number_gender(value: str) -> str:
    """Return "nam" or "nữ" from the gender/century digit of a 12-digit ID number.

    :raises InvalidInput: as `validate_id_number`; old 9-digit numbers carry no gender.
    """
    return "nam" if int(_require_12(value)[3]) % 2 == 0 else "nữ"


def id_number_province(value: str) -> str:
    """Return the name of the birth-registration province of a 12-digit ID number."""
    return PROVINCE_CODES[_require_12(value)[:3]]


def _require_12(value: str) -> str:
    number = validate_id_number(value, allow_legacy=True)
    if len(number) != 12:
        raise InvalidInput(E.ID_LEGACY_NO_BIRTH,
                           field="id_number")
    return number


# --- phone and e-mail -----------------------------------------------------------------------------

def normalize_phone(value: str) -> str:
    """Return a phone number in domestic form: a 10-digit mobile `0[35789]…` or an 11-digit `02…` line.

    Spaces, dots, dashes, brackets and the `+84`/`84`/`0084` prefixes are accepted.

    :raises InvalidInput: (field "phone") anything else.
    """
    def fail(message: E.Said | E.Message) -> InvalidInput:
        return InvalidInput(message, field="phone")

    if not isinstance(value, str) or not value.strip():
        raise fail(E.PHONE_MISSING)
    number = _clean_digits(value)
    for prefix in ("+84", "0084", "84"):
        if number.startswith(prefix):
            # "+84 0912…" is a common slip: the domestic 0 is kept after the country code.
            rest = number[len(prefix):]
            number = rest if rest.startswith("0") else "0" + rest
            break
    if not number.isascii() or not number.isdigit():
        raise fail(E.PHONE_NOT_DIGITS)
    if _MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number):
        return number
    if not number.startswith("0"):
        raise fail(E.PHONE_PREFIX)
    if number.startswith("02"):
        raise fail(E.PHONE_LANDLINE(n=len(number)))
    if number[1] in "35789":
        raise fail(E.PHONE_MOBILE(n=len(number)))
    if number.startswith("01"):
        raise fail(E.PHONE_OLD_PREFIX)
    raise fail(E.PHONE_BAD_PREFIX(prefix=number[:2]))


def validate_email(value: str) -> str:
    """Return the trimmed e-mail address if it looks like one (name@domain.tld); deliberately permissive.

    :raises InvalidInput: (field "email") empty, over 254 characters, or not of that shape.
    """
    email = value.strip() if isinstance(value, str) else ""
    if not email:
        raise InvalidInput(E.EMAIL_MISSING, field="email")
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidInput(E.EMAIL_BAD(email=email),
                           field="email")
    return email


# --- names ----------------------------------------------------------------------------------------

def validate_full_name(value: str) -> str:
    """Return the full name in NFC with tidy spacing.

    :raises InvalidInput: (field "full_name") empty, longer than 100 characters, with digits, or with
        no letter at all.
    """
    def fail(message: E.Said | E.Message) -> InvalidInput:
        return InvalidInput(message, field="full_name")

    name = to_nfc(value) if isinstance(value, str) else ""
    if not name:
        raise fail(E.NAME_MISSING)
    if len(name) > MAX_NAME_LENGTH:
        raise fail(E.NAME_TOO_LONG(max=MAX_NAME_LENGTH))
    if any(ch.isdigit() for ch in name):
        raise fail(E.NAME_DIGITS)
    if not any(ch.isalpha() for ch in name):
        raise fail(E.NAME_NO_LETTER)
    return name


def given_name(full_name: str) -> str:
    """Return the given name: the last word of a Vietnamese full name ("" for an empty name)."""
    words = to_nfc(full_name).split(" ")
    return words[-1]


def name_sort_key(full_name: str) -> tuple[str, str, str]:
    """Return a key sorting names as Vietnamese lists do: by given name, then family and middle names.

    Accents are folded for the comparison; the NFC name breaks the remaining ties so the order is stable.
    """
    name = to_nfc(full_name)
    family_and_middle, _, given = name.rpartition(" ")
    return fold_for_search(given), fold_for_search(family_and_middle), name


def upper_vi(name: str) -> str:
    """Return the name in capitals for printed forms, still in NFC ("Nguyễn Văn A" → "NGUYỄN VĂN A")."""
    return unicodedata.normalize("NFC", to_nfc(name).upper())


# --- dates ----------------------------------------------------------------------------------------

def parse_date_vi(text: str, *, today: date | None = None, field: str = "date_of_birth") -> date:
    """Parse `dd/mm/yyyy` (as people write it) or ISO `yyyy-mm-dd` (as forms post it).

    Pass `today` to refuse a date after it (a date of birth cannot be in the future).

    :raises InvalidInput: (field `field`) another format, an impossible date, or a future date.
    """
    raw = text.strip() if isinstance(text, str) else ""
    if not raw:
        raise InvalidInput(E.DATE_MISSING, field=field)
    if m := _DMY.fullmatch(raw):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO.fullmatch(raw):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise InvalidInput(E.DATE_FORMAT(raw=raw),
                           field=field)
    try:
        value = date(year, month, day)
    except ValueError:
        raise InvalidInput(E.DATE_NOT_REAL(day=day, month=month, year=year), field=field) from None
    if today is not None and value > today:
        raise InvalidInput(E.DATE_FUTURE(value=value, today=today),
                           field=field)
    return value


