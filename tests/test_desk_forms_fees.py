"""Through the desk's HTTP routes (login, CSRF): guidance before receipt (Form 02, no clock) and the
walk-in refusal (Form 03) from the intake form; form numbers per kind and year; the unit's full
name; fees by kind at reception and collected later with receipt numbers; Form 05's verdict."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from tests.conftest import dossier_body
from tests.test_webui import clerk, client, intake_form  # noqa: F401  (fixtures)

CLERK = "lan@07024"


def _received(d) -> dict:
    from node.models import Event
    return Event.get((Event.dossier_uid == d.uid) & (Event.kind == "dossier.received")).payload


def _number(html: str) -> str:
    return re.search(r'id="form-number">([^<]+)<', html).group(1)


def test_guidance_button_keeps_a_record_and_prints_form02_without_a_clock(clerk):
    from node.models import Dossier
    resp = clerk.post("/dossiers/new/1.001193", data=intake_form(
        clerk.csrf, action="guide", to_add="1. Giấy chứng sinh bản chính\n2. Tờ khai có chữ ký",
        help_contact="Chị Lan, 0203 3874 123"))
    assert resp.status_code == 302 and "/form/02" in resp.location
    d = Dossier.get()
    assert d.status == 1 and d.supplement_count == 0 and _received(d)["due_at"] is None   # no clock
    page = clerk.get(resp.location).text
    items = re.search(r'id="f02-items">(.*?)</table>', page, re.S).group(1)
    assert "Giấy chứng sinh bản chính" in items and "Tờ khai có chữ ký" in items
    assert items.count("<tr>") == 3                  # header and one row per item
    assert "Chị Lan, 0203 3874 123" in page and "0912345678" in page    # help and filer contact
    assert "NGUYỄN VĂN AN" in page and "Trần Thị Lan" in page           # filer and clerk
    assert "UBND XÃ QUAN LẠN" in page
    first = _number(page)
    assert re.fullmatch(r"0001/\d{4}/HDBS", first)
    assert _number(clerk.get(resp.location).text) == first             # a reprint keeps it
    slip = clerk.get(f"/dossiers/{d.code}/form/01").text              # no promise before receipt
    assert re.search(r'id="f01-due">… \(chưa tiếp nhận\)<', slip)


def test_guidance_without_what_to_add_is_shown_next_to_the_field(clerk):
    from node.models import Dossier
    resp = clerk.post("/dossiers/new/1.001193", data=intake_form(clerk.csrf, action="guide",
                                                                  to_add="  "))
    assert resp.status_code == 422 and 'id="err-to_add"' in resp.text
    assert Dossier.select().count() == 0


def test_refusal_button_records_the_reasons_and_prints_form03(clerk):
    from node.models import Dossier
    resp = clerk.post("/dossiers/new/1.001193", data=intake_form(clerk.csrf, action="refuse"))
    assert resp.status_code == 422 and 'id="err-refuse_reason"' in resp.text   # a reason is required
    assert Dossier.select().count() == 0
    bad = clerk.post("/dossiers/new/1.001193", data=intake_form(clerk.csrf, action="refuse",
                                                                 phone="123", refuse_reason="x"))
    assert bad.status_code == 422 and 'id="err-phone"' in bad.text
    resp = clerk.post("/dossiers/new/1.001193", data=intake_form(
        clerk.csrf, action="refuse", refuse_reason="Không thuộc thẩm quyền giải quyết của xã"))
    assert resp.status_code == 302 and "/form/03" in resp.location
    d = Dossier.get()
    assert d.status == 3 and _received(d)["due_at"] is None
    page = clerk.get(resp.location).text
    assert "Không thuộc thẩm quyền giải quyết của xã" in re.search(
        r'id="f03-reason">(.*?)</div>', page, re.S).group(1)
    assert re.fullmatch(r"0001/\d{4}/TCHS", _number(page))


def test_not_received_buttons_need_the_csrf_token(clerk):
    from node.models import Dossier
    resp = clerk.post("/dossiers/new/1.001193", data=intake_form(
        "wrong", action="refuse", refuse_reason="Giả mạo"), headers={"Accept": "text/html"})
    assert resp.status_code == 400 and Dossier.select().count() == 0


def test_form_numbers_count_per_kind_and_year_and_survive_a_restart(app, clerk, node_dir):
    from node import formnumbers, reception
    a = reception.receive_dossier(dossier_body(), CLERK)
    b = reception.receive_dossier(dossier_body(), CLERK)
    na = _number(clerk.get(f"/dossiers/{a.code}/form/01").text)
    nb = _number(clerk.get(f"/dossiers/{b.code}/form/01").text)
    assert na.startswith("0001/") and nb.startswith("0002/") and na.endswith("/TNHS")
    assert _number(clerk.get(f"/dossiers/{b.code}/form/05").text).startswith("0001/")
    assert formnumbers.number_for("01", "x", now=datetime(2031, 1, 2)) == "0001/2031/TNHS"
    # the counters live in the database: a reopened node goes on, never reusing a number
    from node.db import close_database, open_database
    close_database()
    open_database(node_dir)
    assert formnumbers.number_for("01", a.uid) == na
    assert formnumbers.number_for("01", "another").startswith("0003/")


def test_unit_full_name_setting_heads_the_forms(app, clerk):
    from node import reception
    app.config["UNIT_FULL_NAME"] = "UBND đặc khu Vân Đồn"
    d = reception.receive_dossier(dossier_body(), CLERK)
    page = clerk.get(f"/dossiers/{d.code}/form/01").text
    assert "UBND ĐẶC KHU VÂN ĐỒN" in page and "UBND XÃ" not in page


def test_certified_copy_fee_is_per_page_with_a_lower_rate_from_page_3(clerk):
    from node.models import Dossier
    # 2.000815: 2,000 đ a page for pages 1–2, 1,000 đ from page 3; 5 pages × 2 copies = 14,000 đ
    form = intake_form(clerk.csrf, fee_pages="5", fee_copies="2", fee_paid="1", fee_method="transfer",
                       **{"has-1.001193-d1": ""})
    resp = clerk.post("/dossiers/new/2.000815", data=form)
    assert resp.status_code == 302, resp.text[:2000]
    d = Dossier.get()
    assert d.fee_vnd == 14000 and d.fee_paid and re.fullmatch(r"07024-\d{4}-00001", d.fee_receipt_no)
    page = clerk.get(resp.location).text
    assert "14.000 đồng" in page and d.fee_receipt_no in page and "chuyển khoản" in page
    bad = clerk.post("/dossiers/new/2.000815", data=intake_form(clerk.csrf, fee_pages="0"))
    assert bad.status_code == 422 and 'id="err-fee_pages"' in bad.text


def test_fee_collected_later_gets_the_next_receipt_number_once(clerk, app):
    from node import reception
    from node.journal import to_wire
    from node.models import Event
    from sync.policy import judge_events
    d = reception.receive_dossier(dossier_body(procedure_code="1.004222"), CLERK)   # 20,000 đ
    assert d.fee_vnd == 20000 and not d.fee_paid
    page = clerk.get(f"/dossiers/{d.code}").text
    assert 'id="collect-fee"' in page
    resp = clerk.post(f"/dossiers/{d.code}/fee", data={"csrf_token": clerk.csrf,
                                                       "fee_method": "cash", "fee_stage": "return"})
    assert resp.status_code == 302
    d = reception.get_dossier(d.code)
    assert d.fee_paid and d.fee_receipt_no.endswith("-00001")
    again = clerk.post(f"/dossiers/{d.code}/fee", data={"csrf_token": clerk.csrf,
                                                        "fee_method": "cash", "fee_stage": "return"})
    assert again.status_code == 302
    assert "đã thu (biên lai số" in clerk.get(f"/dossiers/{d.code}").text
    bad = clerk.post(f"/dossiers/{d.code}/fee", data={"csrf_token": clerk.csrf,
                                                      "fee_method": "bitcoin", "fee_stage": "return"})
    assert bad.status_code == 302
    # the correction travels: its fields pass the schema and the policy at the center
    ev = Event.select().where(Event.kind == "dossier.corrected").get()
    assert ev.payload["fields"]["fee.stage"] == "return"
    assert judge_events([to_wire(ev)], sender="07024", owners={d.uid: "07024"}) is None


def test_council_fee_versions_by_effective_date(app):
    from datetime import date

    import pytest

    from motcua.errors import Conflict, InvalidInput
    from node import fees, reception
    from node.catalogue import get_procedure
    proc = get_procedure("1.004873")                       # the catalogue leaves it to the council
    assert fees.rule_for(proc) is None
    d0 = reception.receive_dossier(dossier_body(procedure_code="1.004873"), CLERK,
                                   now=datetime(2026, 3, 2, 9))
    assert d0.fee_vnd is None
    fees.set_council_fee("1.004873", {"kind": "per_dossier", "vnd": 15000}, date(2026, 1, 1), CLERK,
                         source="NQ 12/2025/NQ-HĐND")
    fees.set_council_fee("1.004873", 20000, date(2026, 7, 1), CLERK)
    assert fees.rule_for(proc, date(2026, 3, 2)).vnd == 15000
    assert fees.rule_for(proc, date(2026, 7, 1)).vnd == 20000
    d = reception.receive_dossier(dossier_body(procedure_code="1.004873"), CLERK,
                                  now=datetime(2026, 7, 2, 9))
    assert d.fee_vnd == 20000
    with pytest.raises(InvalidInput):
        fees.set_council_fee("1.004873", {"kind": "per_page", "tiers": []}, date(2026, 1, 1), CLERK)
    with pytest.raises(Conflict):                          # the catalogue fixes this one
        fees.set_council_fee("1.004222", 1, date(2026, 1, 1), CLERK)


def test_form05_last_step_agrees_with_a_late_verdict(app, clerk):
    from node import reception
    d = reception.receive_dossier(dossier_body(), CLERK, now=datetime(2026, 3, 2, 9))  # due 17:00
    reception.transition(d.code, 4, CLERK, now=datetime(2026, 3, 2, 10))
    reception.transition(d.code, 9, CLERK, now=datetime(2026, 3, 4, 10))            # two days late
    page = clerk.get(f"/dossiers/{d.code}/form/05").text
    results = re.findall(r'class="step-result">([^<]*)<', page)
    assert results[-1] == "Quá hạn" and "Trước hạn" not in results
    assert "Bộ phận tiếp nhận và trả kết quả" in page and "Công chức chuyên môn" in page


def test_book_csv_keeps_phone_as_text_and_prints_handling_unit(clerk, app):
    from node import reception
    d = reception.receive_dossier(dossier_body(), CLERK, now=datetime(2026, 3, 2, 9))
    rows = list(csv.reader(io.StringIO(clerk.get("/book.csv?from=2026-03-01&to=2026-03-31")
                                       .data.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert row[header.index("Số điện thoại")] == "\t0912345678"
    assert row[header.index("Đơn vị giải quyết")] == "Công chức chuyên môn"
    assert "Hẹn trả ban đầu" in header and row[1] == d.code


def test_hostile_fee_inputs_get_a_clear_422_never_a_500(api, clerk):
    from tests.conftest import dossier_body as body
    for extra in ({"fee_pages": [1]}, {"fee_pages": "9" * 40}, {"fee_copies": -1},
                  {"fee_copies": True}, {"fee_paid": True, "fee_method": {"x": 1}},
                  {"fee_paid": True, "fee_method": "gold"}):
        resp = api.post("/api/v1/dossiers", json=body(procedure_code="2.000815", **extra))
        assert resp.status_code == 422, (extra, resp.get_json())
        assert resp.get_json()["error"]["message"]
    resp = clerk.post("/dossiers/no-such-code/fee", data={"csrf_token": clerk.csrf,
                                                           "fee_method": "cash", "fee_stage": "return"})
    assert resp.status_code in (302, 404)
