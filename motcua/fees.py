"""Fees as the law has them (pure): a rule by kind, what a dossier owes, the council's versions by
effective date, the bank-transfer QR (VietQR) printed on the receipt, and fee totals for statistics.

A rule is data (catalogue.json `fee`, or a provincial council's decision kept with its effective date):
- `{"kind": "per_dossier", "vnd": N}` — one amount per dossier (a plain integer means this);
- `{"kind": "per_copy", "vnd": N}` — N per copy handed out (e.g. an extract of the civil register);
- `{"kind": "per_page", "tiers": [{"from_page": 1, "vnd": 2000}, {"from_page": 3, "vnd": 1000}],
  "max_vnd": 200000}` — per page, a lower rate from a page on, capped per copy (certified copies:
  Circular 226/2016/TT-BTC: 2,000 đ a page for pages 1–2, 1,000 đ from page 3, at most 200,000 đ);
- `None` — left to the provincial council and not set yet: nothing can be computed until it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping

KINDS = ("per_dossier", "per_page", "per_copy")
STAGES = ("reception", "supplement", "return")      # when it was collected
METHODS = ("cash", "transfer")                       # how
STAGE_LABELS_VI = {"reception": "Khi tiếp nhận", "supplement": "Khi bổ sung", "return": "Khi trả kết quả"}
METHOD_LABELS_VI = {"cash": "Tiền mặt", "transfer": "Chuyển khoản"}
MAX_VND = 10 ** 12


class FeeRuleError(ValueError):
    """A fee rule that is not one of the kinds above (the message says which part)."""


@dataclass(frozen=True)
class FeeRule:
    kind: str
    vnd: int = 0                                     # per_dossier / per_copy
    tiers: tuple[tuple[int, int], ...] = ()          # per_page: (from_page, vnd a page), ascending
    max_vnd: int | None = None                       # per_page: cap per copy

    def to_dict(self) -> dict:
        if self.kind == "per_page":
            return {"kind": self.kind, "tiers": [{"from_page": p, "vnd": v} for p, v in self.tiers],
                    **({"max_vnd": self.max_vnd} if self.max_vnd is not None else {})}
        return {"kind": self.kind, "vnd": self.vnd}

    def describe_vi(self) -> str:
        """The rule as a clerk reads it on the receipt."""
        def money(v):
            return f"{v:,}".replace(",", ".") + " đ"
        if self.kind == "per_dossier":
            return f"{money(self.vnd)}/hồ sơ"
        if self.kind == "per_copy":
            return f"{money(self.vnd)}/bản"
        parts = [f"{money(v)}/trang từ trang {p}" for p, v in self.tiers]
        cap = f", tối đa {money(self.max_vnd)}/bản" if self.max_vnd is not None else ""
        return "; ".join(parts) + cap


def _amount(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VND:
        raise FeeRuleError(f"{what}: phải là số tiền nguyên không âm")
    return value


def read_rule(raw) -> FeeRule | None:
    """A rule from the catalogue or a council decision; None when the council has not set it.

    :raises FeeRuleError: an unknown kind, a negative amount, tiers that do not start at page 1 or
        do not go up.
    """
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return FeeRule("per_dossier", _amount(raw, "vnd"))
    if not isinstance(raw, Mapping) or raw.get("kind") not in KINDS:
        raise FeeRuleError(f"kind: phải là một trong {', '.join(KINDS)}")
    kind = raw["kind"]
    if kind != "per_page":
        return FeeRule(kind, _amount(raw.get("vnd"), "vnd"))
    tiers = raw.get("tiers")
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= 10:
        raise FeeRuleError("tiers: phải có từ 1 đến 10 bậc")
    clean = []
    for t in tiers:
        if not isinstance(t, Mapping):
            raise FeeRuleError("tiers: mỗi bậc là {from_page, vnd}")
        page = _amount(t.get("from_page"), "from_page")
        clean.append((page, _amount(t.get("vnd"), "vnd")))
    pages = [p for p, _ in clean]
    if pages[0] != 1 or pages != sorted(set(pages)):
        raise FeeRuleError("tiers: bậc đầu từ trang 1, các bậc tăng dần")
    cap = raw.get("max_vnd")
    return FeeRule(kind, tiers=tuple(clean), max_vnd=None if cap is None else _amount(cap, "max_vnd"))


def amount_due(rule: FeeRule | None, *, pages: int = 1, copies: int = 1) -> int | None:
    """What a dossier owes under `rule`: per dossier once; per copy × copies; per page by tier for
    each copy (capped per copy). None when the rule is the council's and not set yet."""
    if rule is None:
        return None
    if pages < 1 or copies < 1:
        raise FeeRuleError("pages, copies: ít nhất 1")
    if rule.kind == "per_dossier":
        return rule.vnd
    if rule.kind == "per_copy":
        return rule.vnd * copies
    one = 0
    for page in range(1, pages + 1):
        one += next(v for p, v in reversed(rule.tiers) if page >= p)
    if rule.max_vnd is not None:
        one = min(one, rule.max_vnd)
    return one * copies


def in_force(versions: Iterable[tuple[date, object]], on: date):
    """The value of the newest version effective on `on` (versions: (effective_from, value)),
    or None when none is yet."""
    best = None
    for effective, value in versions:
        if effective <= on and (best is None or effective >= best[0]):
            best = (effective, value)
    return best[1] if best else None


# ---- VietQR: the EMVCo merchant-presented QR the Vietnamese banks' apps read (NAPAS 247) ------

VIETQR_GUID = "A000000727"
TRANSFER_TO_ACCOUNT = "QRIBFTTA"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise FeeRuleError(f"tag {tag}: dài quá 99 ký tự")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor): EMVCo's tag 63."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _ascii_note(text: str) -> str:
    """Bank apps show tag 62's note as typed; keep it to plain ASCII letters, digits and - . space."""
    from motcua.identity import fold_for_search
    folded = fold_for_search(text).upper()
    return "".join(c for c in folded if c.isalnum() or c in "-. ")[:50]


def vietqr_payload(bank_bin: str, account: str, amount_vnd: int, note: str) -> str:
    """The VietQR string for a transfer of `amount_vnd` to `account` at the bank `bank_bin` (its
    6-digit NAPAS BIN), with `note` (the dossier code) as the transfer's content."""
    if not (bank_bin.isdigit() and len(bank_bin) == 6):
        raise FeeRuleError("bank_bin: 6 chữ số")
    if not (account.isalnum() and 1 <= len(account) <= 19):
        raise FeeRuleError("account: 1–19 chữ, số")
    _amount(amount_vnd, "amount")
    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    merchant = _tlv("00", VIETQR_GUID) + _tlv("01", beneficiary) + _tlv("02", TRANSFER_TO_ACCOUNT)
    body = (_tlv("00", "01") + _tlv("01", "12") + _tlv("38", merchant) + _tlv("53", "704")
            + (_tlv("54", str(amount_vnd)) if amount_vnd else "") + _tlv("58", "VN")
            + _tlv("62", _tlv("08", _ascii_note(note))) + "6304")
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse_tlv(payload: str) -> dict[str, str]:
    """Top-level EMVCo tags of a payload (tag → value). :raises FeeRuleError: a truncated payload."""
    out, i = {}, 0
    while i < len(payload):
        if i + 4 > len(payload):
            raise FeeRuleError("payload bị cắt")
        tag, size = payload[i:i + 2], int(payload[i + 2:i + 4])
        out[tag] = payload[i + 4:i + 4 + size]
        if len(out[tag]) != size:
            raise FeeRuleError("payload bị cắt")
        i += 4 + size
    return out


def crc_ok(payload: str) -> bool:
    """True when tag 63 is the CRC of everything before its value."""
    return (len(payload) > 8 and payload[-8:-4] == "6304"
            and f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}" == payload[-4:].upper())


# ---- totals for the center's statistics --------------------------------------------------------

# Dossiers that end without a result owe nothing: a fee not collected from them is waived, not owed.
ENDED_WITHOUT_RESULT = frozenset({3, 8})      # refused, stopped (withdrawn)


def fee_totals(fees: Iterable[Mapping | None]) -> dict:
    """Fee figures over dossiers' fee records (`{vnd, paid, stage, method, receipt_no}` as folded,
    with the dossier's `status`): what was collected, by when and how, how many receipts, what is
    owed and not yet paid, and what was waived (refused or withdrawn before paying). Dossiers with
    no fee (None record or 0) count nowhere; a council fee not yet entered (vnd None) as `unset`."""
    out = {"collected_vnd": 0, "collected": 0, "unpaid_vnd": 0, "unpaid": 0, "waived_vnd": 0,
           "waived": 0, "unset": 0, "receipts": 0,
           "by_stage": {s: 0 for s in STAGES}, "by_method": {m: 0 for m in METHODS}}
    for fee in fees:
        if not fee:
            continue
        vnd = fee.get("vnd")
        if vnd is None:
            out["unset"] += 1
            continue
        if not isinstance(vnd, int) or isinstance(vnd, bool) or vnd <= 0:
            continue
        if fee.get("paid"):
            out["collected_vnd"] += vnd
            out["collected"] += 1
            if fee.get("receipt_no"):
                out["receipts"] += 1
            stage, method = fee.get("stage") or "reception", fee.get("method") or "cash"
            if stage in out["by_stage"]:
                out["by_stage"][stage] += vnd
            if method in out["by_method"]:
                out["by_method"][method] += vnd
        elif fee.get("status") in ENDED_WITHOUT_RESULT:
            out["waived_vnd"] += vnd
            out["waived"] += 1
        else:
            out["unpaid_vnd"] += vnd
            out["unpaid"] += 1
    return out
