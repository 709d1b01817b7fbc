"""Identity and text rules: ID numbers, phones, e-mails, names, dates."""
from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, strategies as st

from motcua.errors import InvalidInput
from motcua.identity import (
    PROVINCE_CODES,
    fold_for_search,
    given_name,
    id_number_birth_year,
    id_number_gender,
    id_number_province,
    name_sort_key,
    normalize_phone,
    parse_date_vi,
    to_nfc,
    upper_vi,
    validate_email,
    validate_full_name,
    validate_id_number,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def assert_refused(call, field: str) -> str:
    """Run `call`, expect InvalidInput on `field` with a Vietnamese message, return the message."""
    with pytest.raises(InvalidInput) as exc:
        call()
    assert exc.value.field == field
    message = exc.value.message_vi
    assert any(ch in message for ch in "ăâđêôơưạảấầẩậắằẳẵặẹẻẽếềểễệịỉọỏốồổỗộớờởỡợụủứừửữựỳỷỹý"
                                       "àáãèéìíòóõùúĐ"), message
    return message


# --- ID numbers ---------------------------------------------------------------------------------

def test_province_list_has_the_63_old_provinces():
    assert len(PROVINCE_CODES) == 63
    assert PROVINCE_CODES["022"] == "Quảng Ninh" and PROVINCE_CODES["096"] == "Cà Mau"


@pytest.mark.parametrize("value, dob, cleaned", [
    # 022 Quảng Ninh, G=0 male 1900s, YY=85 -> born 1985.
    ("022085001234", date(1985, 5, 20), "022085001234"),
    # Spaces and dots as people copy them from the card.
    ("022 085 001 234", date(1985, 5, 20), "022085001234"),
    ("022.085.001.234", None, "022085001234"),
    # 001 Hà Nội, G=3 female 2000s, YY=03 -> 2003.
    ("001303012345", date(2003, 1, 2), "001303012345"),
    # 079 TP.HCM, G=1 female 1900s, YY=99.
    ("079199000001", date(1999, 12, 31), "079199000001"),
    # 2100s: G=4 with YY=00 -> 2100.
    ("031400000001", date(2100, 1, 1), "031400000001"),
])
def test_valid_id_numbers(value, dob, cleaned):
    assert validate_id_number(value, dob) == cleaned


@pytest.mark.parametrize("value, dob, expected_in_message", [
    ("", None, "Chưa nhập"),
    ("02208500123", None, "đúng 12 chữ số (đã nhập 11"),           # too short
    ("0220850012345", None, "đã nhập 13"),                        # too long
    ("02208500123A", None, "chỉ được gồm chữ số"),                # a letter
    ("003085001234", None, "Mã tỉnh 003"),                        # 003 was never assigned
    ("099085001234", None, "Mã tỉnh 099"),
    ("022285001234", date(1985, 5, 20), "năm sinh 2085"),         # G=2 means the 2000s
    ("022086001234", date(1985, 5, 20), "năm sinh 1986"),         # YY disagrees
    ("022185001234", date(2085, 1, 1), "năm sinh 1985"),          # G=1 is the 1900s
    ("100234567", None, "Chứng minh nhân dân 9 số"),              # legacy refused by default
])
def test_invalid_id_numbers(value, dob, expected_in_message):
    message = assert_refused(lambda: validate_id_number(value, dob), "id_number")
    assert expected_in_message in message


def test_legacy_nine_digits_only_when_allowed():
    assert validate_id_number("100 234 567", allow_legacy=True) == "100234567"
    assert_refused(lambda: id_number_gender("100234567"), "id_number")


@pytest.mark.parametrize("value, gender, year, province", [
    ("022085001234", "nam", 1985, "Quảng Ninh"),
    ("001303012345", "nữ", 2003, "Hà Nội"),
    ("079199000001", "nữ", 1999, "TP. Hồ Chí Minh"),
    ("031200000001", "nam", 2000, "Hải Phòng"),
])
def test_id_number_parts(value, gender, year, province):
    assert id_number_gender(value) == gender
    assert id_number_birth_year(value) == year
    assert id_number_province(value) == province


# --- phones -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, normal", [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("091-234-5678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0084 912 345 678", "0912345678"),
    ("+84 0912 345 678", "0912345678"),     # domestic 0 kept after the country code
    ("0336 123 456", "0336123456"),         # 03x Viettel
    ("0523456789", "0523456789"),           # 05x
    ("0703456789", "0703456789"),           # 07x
    ("0813456789", "0813456789"),           # 08x
    ("0203 3874 123", "02033874123"),       # Quảng Ninh landline
    ("(0203) 387.4123", "02033874123"),
    ("+84 203 3874 123", "02033874123"),
])
def test_normalize_phone(value, normal):
    assert normalize_phone(value) == normal


@pytest.mark.parametrize("value, expected_in_message", [
    ("", "Chưa nhập"),
    ("abc", "chỉ được gồm chữ số"),
    ("0912 345 67x", "chỉ được gồm chữ số"),
    ("1234567890", "bắt đầu bằng 0"),
    ("091234567", "đúng 10 chữ số"),         # 9 digits
    ("09123456789", "đúng 10 chữ số"),       # 11 digits
    ("01234567890", "01x"),                  # old 11-digit prefix, converted in 2018
    ("0612345678", "Đầu số 06"),             # no 06 mobiles
    ("0412345678", "Đầu số 04"),
    ("0203387412", "11 chữ số"),             # landline one digit short
])
def test_normalize_phone_refuses(value, expected_in_message):
    message = assert_refused(lambda: normalize_phone(value), "phone")
    assert expected_in_message in message


# --- e-mail -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, clean", [
    ("a.b@quangninh.gov.vn", "a.b@quangninh.gov.vn"),
    ("  nguyen.van.a+motcua@gmail.com ", "nguyen.van.a+motcua@gmail.com"),
])
def test_validate_email(value, clean):
    assert validate_email(value) == clean


@pytest.mark.parametrize("value", ["", "abc", "a@b", "a b@c.vn", "a@@b.vn", "a@b..vn", "@b.vn",
                                   "x" * 250 + "@b.vn"])
def test_validate_email_refuses(value):
    assert_refused(lambda: validate_email(value), "email")


# --- text and names -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, normal", [
    ("Nguyễn Văn A", "Nguyễn Văn A"),
    (nfd("Nguyễn Văn A"), "Nguyễn Văn A"),             # NFD from a keyboard equals NFC
    ("  Trần   Thị\tBích  ", "Trần Thị Bích"),
    (nfd("Đặng  Thị Ưng "), "Đặng Thị Ưng"),
])
def test_to_nfc(value, normal):
    assert to_nfc(value) == normal
    assert unicodedata.is_normalized("NFC", to_nfc(value))


@pytest.mark.parametrize("value, folded", [
    ("Nguyễn Văn A", "nguyen van a"),
    ("nguyen van a", "nguyen van a"),
    (nfd("Nguyễn Văn A"), "nguyen van a"),
    ("ĐẶNG Thị Đào", "dang thi dao"),                   # Đ/đ mapped explicitly
    (nfd("Đỗ Đức Độ"), "do duc do"),
    ("  Trần  Quốc   Tuấn ", "tran quoc tuan"),
    ("à á ả ã ạ", "a a a a a"),                          # the five tones
    ("Ưng Ơn Ân Êm Ôn", "ung on an em on"),               # horn, breve, circumflex
    ("Quan Lạn", "quan lan"),
])
def test_fold_for_search(value, folded):
    assert fold_for_search(value) == folded


def test_search_matches_typed_without_accents():
    assert fold_for_search("nguyen van a") in fold_for_search("Hồ sơ của NGUYỄN VĂN A, xã Quan Lạn")


@pytest.mark.parametrize("value, normal", [
    ("Nguyễn Văn A", "Nguyễn Văn A"),
    (nfd(" Lê   Thị Hồng "), "Lê Thị Hồng"),
    ("Mai", "Mai"),                                        # one word is allowed
    ("H'Hen Niê", "H'Hen Niê"),                            # Ê Đê names carry an apostrophe
])
def test_validate_full_name(value, normal):
    assert validate_full_name(value) == normal


@pytest.mark.parametrize("value, expected_in_message", [
    ("", "Chưa nhập"),
    ("   ", "Chưa nhập"),
    ("Nguyễn Văn 2", "chữ số"),
    ("!!! ---", "chữ cái"),
    ("A" * 101, "100 ký tự"),
])
def test_validate_full_name_refuses(value, expected_in_message):
    message = assert_refused(lambda: validate_full_name(value), "full_name")
    assert expected_in_message in message


@pytest.mark.parametrize("value, given", [
    ("Nguyễn Văn A", "A"),
    ("  Trần   Thị  Bích ", "Bích"),
    ("Mai", "Mai"),
])
def test_given_name(value, given):
    assert given_name(value) == given


def test_names_sort_by_given_name_accent_folded():
    names = ["Trần Văn Bình", "Phạm Minh Ân", "Lê Đức Anh", "Đỗ Văn Dũng", "Nguyễn Thị An",
             "Hoàng Thị Đào", nfd("Vũ Thị Yến")]
    # Given names fold to an, an, anh, binh, dao, dung, yen; the two "an" tie and fall back to the
    # family+middle names (nguyen thi < pham minh).
    assert [to_nfc(n) for n in sorted(names, key=name_sort_key)] == [
        "Nguyễn Thị An", "Phạm Minh Ân", "Lê Đức Anh", "Trần Văn Bình", "Hoàng Thị Đào",
        "Đỗ Văn Dũng", "Vũ Thị Yến"]


@pytest.mark.parametrize("value, upper", [
    ("Nguyễn Văn Đức", "NGUYỄN VĂN ĐỨC"),
    (nfd("trần thị ưng"), "TRẦN THỊ ƯNG"),
    ("lê   ngọc  ánh", "LÊ NGỌC ÁNH"),
])
def test_upper_vi(value, upper):
    assert upper_vi(value) == upper
    assert unicodedata.is_normalized("NFC", upper_vi(value))


# --- dates --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("05/09/1985", date(1985, 9, 5)),
    ("5/9/1985", date(1985, 9, 5)),
    (" 1985-09-05 ", date(1985, 9, 5)),
    ("29/02/2024", date(2024, 2, 29)),          # leap year
    ("02/03/2026", date(2026, 3, 2)),           # equal to today is not the future
])
def test_parse_date_vi(text, value):
    assert parse_date_vi(text, today=date(2026, 3, 2)) == value


@pytest.mark.parametrize("text, expected_in_message", [
    ("", "Chưa nhập"),
    ("1985/09/05", "định dạng"),
    ("05-09-1985", "định dạng"),
    ("05/09/85", "định dạng"),
    ("ngày 5 tháng 9", "định dạng"),
    ("31/02/2026", "không có thật"),
    ("29/02/2025", "không có thật"),            # 2025 is not a leap year
    ("2026-13-01", "không có thật"),
    ("03/03/2026", "tương lai"),                # a date of birth after today
])
def test_parse_date_vi_refuses(text, expected_in_message):
    message = assert_refused(lambda: parse_date_vi(text, today=date(2026, 3, 2)), "date_of_birth")
    assert expected_in_message in message


def test_parse_date_vi_without_today_accepts_future_and_custom_field():
    assert parse_date_vi("01/01/2030", field="issued_on") == date(2030, 1, 1)
    assert_refused(lambda: parse_date_vi("1/1", field="issued_on"), "issued_on")


# --- properties ---------------------------------------------------------------------------------

@given(st.text())
def test_nfd_and_nfc_fold_and_normalise_alike(text):
    assert fold_for_search(nfd(text)) == fold_for_search(unicodedata.normalize("NFC", text))
    assert to_nfc(nfd(text)) == to_nfc(text)
    assert to_nfc(to_nfc(text)) == to_nfc(text)
    folded = fold_for_search(text)
    assert fold_for_search(folded) == folded


@given(st.sampled_from(sorted(PROVINCE_CODES)), st.dates(min_value=date(1900, 1, 1),
                                                          max_value=date(2399, 12, 31)),
       st.sampled_from(["nam", "nữ"]), st.integers(min_value=0, max_value=999_999))
def test_any_well_formed_number_validates_and_reads_back(province, born, gender, serial):
    g = (born.year - 1900) // 100 * 2 + (1 if gender == "nữ" else 0)
    number = f"{province}{g}{born.year % 100:02d}{serial:06d}"
    assert validate_id_number(number, born) == number
    assert id_number_gender(number) == gender
    assert id_number_birth_year(number) == born.year
