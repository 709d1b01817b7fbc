"""The chip ID card's QR string read into applicant fields, checked as intake checks them."""
from __future__ import annotations

import re
from datetime import date

import pytest

from motcua.cccd import parse_card_qr
from motcua.errors import InvalidInput

QR = "022085001234|100200300|Nguyễn Văn An|12031985|Nam|Thôn Đông, Quan Lạn, Vân Đồn, Quảng Ninh|15062021"


def test_a_card_qr_gives_the_applicant_fields():
    card = parse_card_qr(QR + "\r\n")          # a QR reader types Enter at the end
    assert card.id_number == "022085001234" and card.old_id == "100200300"
    assert card.full_name == "Nguyễn Văn An" and card.sex == "Nam"
    assert card.date_of_birth == date(1985, 3, 12) and card.issued_on == date(2021, 6, 15)
    assert card.applicant() == {"id_number": "022085001234", "full_name": "Nguyễn Văn An",
                                "date_of_birth": "12/03/1985",
                                "address": "Thôn Đông, Quan Lạn, Vân Đồn, Quảng Ninh"}


def test_no_old_id_and_extra_parts_of_newer_cards():
    card = parse_card_qr("022085001234||Nguyễn Văn An|12031985|Nam|Quan Lạn|15062021|extra|")
    assert card.old_id is None and card.address == "Quan Lạn"


def test_decomposed_vietnamese_is_normalised():
    import unicodedata
    card = parse_card_qr(unicodedata.normalize("NFD", QR))
    assert card.full_name == "Nguyễn Văn An"


@pytest.mark.parametrize("raw", ["", "022085001234", "a|b|c|d|e|f", "022085001234||An|1985-03-12|Nam|x|",
                                 "022085001234||An|31021985|Nam|x|", "|x|An|12031985|Nam|x|15062021",
                                 "022085001234||  |12031985|Nam|x|15062021", None])
def test_strings_that_are_not_a_card_qr_are_refused(raw):
    with pytest.raises(InvalidInput) as caught:
        parse_card_qr(raw)
    assert caught.value.field == "cccd_qr"


def test_an_id_number_the_birth_date_contradicts_is_refused_on_the_id_field():
    with pytest.raises(InvalidInput) as caught:          # century digit 0 = born in the 1900s
        parse_card_qr("022085001234||Nguyễn Văn An|12032005|Nam|x|15062021")
    assert caught.value.field == "id_number"


# ---- on the intake form ---------------------------------------------------------------------

from tests.test_webui import clerk, client, intake_form  # noqa: E402,F401 - fixtures


def test_the_desk_reads_a_card_qr_and_says_what_is_wrong(clerk):
    resp = clerk.post("/cccd.json", data={"qr": QR, "csrf_token": clerk.csrf})
    assert resp.status_code == 200
    assert resp.get_json()["fields"]["date_of_birth"] == "12/03/1985"
    bad = clerk.post("/cccd.json", data={"qr": "xin chào", "csrf_token": clerk.csrf})
    assert bad.status_code == 422 and "7 phần" in bad.get_json()["error"]
    assert clerk.post("/cccd.json", data={"qr": QR}).status_code == 400     # CSRF as everywhere


def test_without_javascript_the_qr_fills_the_empty_fields_on_submit(clerk):
    form = intake_form(clerk.csrf, full_name="", id_number="", date_of_birth="", address="",
                       cccd_qr=QR)
    resp = clerk.post("/dossiers/new/1.001193", data=form)
    assert resp.status_code == 302, resp.text
    from node.models import Dossier
    d = Dossier.get(code=resp.location.split("/")[2])
    assert d.applicant["full_name"] == "Nguyễn Văn An" and d.applicant["id_number"] == "022085001234"
    assert d.applicant["date_of_birth"] == "1985-03-12"


def test_a_bad_qr_on_submit_is_shown_on_its_field_with_focus(clerk):
    form = intake_form(clerk.csrf, cccd_qr="022085001234|x|An")
    resp = clerk.post("/dossiers/new/1.001193", data=form)
    assert resp.status_code == 422
    assert re.search(r'id="f-cccd_qr"[^>]*aria-invalid="true"[^>]*autofocus', resp.text)
    assert 'id="err-cccd_qr"' in resp.text
