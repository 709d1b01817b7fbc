"""motcua.fees: rules by kind, the council's versions, the VietQR payload and its CRC, fee totals."""
from __future__ import annotations

from datetime import date

import pytest

from motcua import fees

CERTIFIED_COPY = {"kind": "per_page", "tiers": [{"from_page": 1, "vnd": 2000},
                                                {"from_page": 3, "vnd": 1000}], "max_vnd": 200000}


def test_per_page_tiers_per_copy_and_the_cap():
    rule = fees.read_rule(CERTIFIED_COPY)
    assert [fees.amount_due(rule, pages=n) for n in (1, 2, 3, 10)] == [2000, 4000, 5000, 12000]
    assert fees.amount_due(rule, pages=5, copies=2) == 14000
    assert fees.amount_due(rule, pages=1000) == 200000          # capped per copy
    assert fees.amount_due(fees.read_rule({"kind": "per_copy", "vnd": 8000}), copies=3) == 24000
    assert fees.amount_due(fees.read_rule(15000), pages=9, copies=9) == 15000
    assert fees.amount_due(fees.read_rule(None)) is None       # the council's, not set


@pytest.mark.parametrize("raw", [{"kind": "per_page", "tiers": [{"from_page": 2, "vnd": 1}]},
                                 {"kind": "per_page", "tiers": [{"from_page": 1, "vnd": 1},
                                                                {"from_page": 1, "vnd": 2}]},
                                 {"kind": "per_minute", "vnd": 1}, {"kind": "per_copy", "vnd": -1},
                                 {"kind": "per_copy", "vnd": True}, "15000", [1]])
def test_bad_rules_are_refused(raw):
    with pytest.raises(fees.FeeRuleError):
        fees.read_rule(raw)


def test_the_version_in_force_on_a_day():
    versions = [(date(2026, 1, 1), "a"), (date(2026, 7, 1), "b")]
    assert fees.in_force(versions, date(2025, 12, 31)) is None
    assert fees.in_force(versions, date(2026, 6, 30)) == "a"
    assert fees.in_force(versions, date(2026, 7, 1)) == "b"


def test_crc_is_ccitt_false_and_the_payload_has_the_vietqr_tags():
    assert fees.crc16_ccitt_false(b"123456789") == 0x29B1         # the standard check value
    payload = fees.vietqr_payload("970405", "1505205123456", 14000, "07024-260303-0001")
    assert fees.crc_ok(payload)
    tags = fees.parse_tlv(payload)
    assert (tags["00"], tags["01"], tags["53"], tags["54"], tags["58"]) == ("01", "12", "704",
                                                                            "14000", "VN")
    merchant = fees.parse_tlv(tags["38"])
    assert merchant == {"00": "A000000727", "01": "00069704050113" + "1505205123456",
                        "02": "QRIBFTTA"}
    assert fees.parse_tlv(tags["62"]) == {"08": "07024-260303-0001"}
    broken = payload[:-1] + ("0" if payload[-1] != "0" else "1")
    assert not fees.crc_ok(broken)


def test_the_note_is_plain_ascii_and_bad_accounts_are_refused():
    payload = fees.vietqr_payload("970405", "123", 1000, "Lệ phí Đăng ký; ")
    assert fees.parse_tlv(fees.parse_tlv(payload)["62"])["08"] == "LE PHI DANG KY"
    for bank, account in (("97040", "1"), ("970405", "12 3"), ("970405", "1" * 20)):
        with pytest.raises(fees.FeeRuleError):
            fees.vietqr_payload(bank, account, 1, "x")


def test_fee_totals():
    got = fees.fee_totals([
        {"vnd": 15000, "paid": True, "stage": "reception", "method": "cash", "receipt_no": "1"},
        {"vnd": 24000, "paid": True, "stage": "return", "method": "transfer", "receipt_no": "2"},
        {"vnd": 15000, "paid": False, "status": 4}, {"vnd": 20000, "paid": False, "status": 3},
        {"vnd": None}, {"vnd": 0, "paid": False}, None])
    assert got == {"collected_vnd": 39000, "collected": 2, "receipts": 2, "unpaid_vnd": 15000,
                   "unpaid": 1, "waived_vnd": 20000, "waived": 1, "unset": 1,
                   "by_stage": {"reception": 15000, "supplement": 0, "return": 24000},
                   "by_method": {"cash": 15000, "transfer": 24000}}
