"""Forms 01–06 printed to PDF by headless Chromium (Debian's, via Playwright) from a real node
server on loopback, then checked as a citizen would hold them: one A4 page each (06 landscape), the
fields the Circular lists present (pdftotext), the lookup QR and the VietQR read back by zbarimg
(the VietQR payload passing its CRC)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import CLERK_PASSWORD, dossier_body

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
NEEDED = ("pdfinfo", "pdftotext", "pdftoppm", "zbarimg")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="apt-get install -y chromium"),
              pytest.mark.skipif(not all(shutil.which(t) for t in NEEDED),
                                 reason="apt-get install -y poppler-utils zbar-tools")]
CLERK = "lan@07024"
BANK_BIN, ACCOUNT = "970405", "1505205123456"       # Agribank's BIN, an example account


@pytest.fixture
def server(app):
    """The test app on a real HTTP server on 127.0.0.1 (a free port), in a thread."""
    from werkzeug.serving import make_server
    app.config.update(PAYEE_BANK_BIN=BANK_BIN, PAYEE_ACCOUNT=ACCOUNT, PAYEE_NAME="UBND XA QUAN LAN",
                      HELP_CONTACT="Bộ phận một cửa xã Quan Lạn, 0203 3874 123")
    srv = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(locale="vi-VN")
        context.set_default_timeout(15000)
        pg = context.new_page()
        pg.goto(server + "/login")
        pg.fill("#username", "lan")
        pg.fill("#password", CLERK_PASSWORD)
        pg.press("#password", "Enter")
        pg.wait_for_url(re.compile(r"/today$"))
        yield pg
        browser.close()


def _pdf(page, url: str, path: Path) -> dict:
    """Print `url` as the browser would (print media, the page's own @page size): pages, size, text."""
    page.goto(url)
    page.emulate_media(media="print")
    path.write_bytes(page.pdf(prefer_css_page_size=True))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    return {"pages": int(re.search(r"Pages:\s+(\d+)", info).group(1)), "width": width,
            "height": height, "text": " ".join(text.split())}


def _qr_codes(pdf: Path) -> list[str]:
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
                   check=True, timeout=60)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                          str(pdf.with_suffix(".png"))], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def _a4(doc: dict, landscape: bool = False) -> None:
    w, h = (842, 595) if landscape else (595, 842)          # A4 in points, ±1
    assert abs(doc["width"] - w) < 2 and abs(doc["height"] - h) < 2, doc
    assert doc["pages"] == 1, doc


def test_each_form_prints_on_one_a4_page_with_its_fields_and_codes(page, server, tmp_path, app):
    from motcua import fees
    from node import clerk, reception
    from node.models import Dossier
    with app.app_context():
        d = reception.receive_dossier(dossier_body(procedure_code="1.004222", applicant={
            **dossier_body()["applicant"], "email": "an.nguyen@example.vn"}), CLERK)
        guided = reception.guide_at_reception(dossier_body(), "Giấy chứng sinh bản chính\n"
                                              "Tờ khai có chữ ký của người đi đăng ký", CLERK)
        refused = reception.refuse_at_reception(dossier_body(), "Không thuộc thẩm quyền của xã", CLERK)
        clerk.set_new_due_date(d.code, d.due_at + timedelta(days=3), "Chờ xác minh nơi cư trú", CLERK)
        reception.transition(d.code, 4, CLERK)
        d = Dossier.get(Dossier.code == d.code)

    doc = _pdf(page, f"{server}/dossiers/{d.code}/form/01", tmp_path / "01.pdf")
    _a4(doc)
    t = doc["text"]
    for field in ("UBND XÃ QUAN LẠN", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", d.code, "NGUYỄN VĂN AN",
                  "Thôn Đông", "0912345678", "an.nguyen@example.vn", "Đăng ký thường trú",
                  "Thành phần hồ sơ", "01 bộ", "7 ngày làm việc",
                  d.received_at.strftime("%H giờ %M phút, ngày %d/%m/%Y"),
                  d.original_due_at.strftime("%H giờ %M phút, ngày %d/%m/%Y") and
                  d.due_at.strftime("%H giờ %M phút, ngày %d/%m/%Y"),
                  "Nhận kết quả tại", f"quyển {d.book_volume}, số {d.book_number}", "20.000 đồng",
                  "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", "Trần Thị Lan"):
        assert field in t, field
    assert re.search(r"Số: 0001/\d{4}/TNHS", t)
    codes = _qr_codes(tmp_path / "01.pdf")
    lookup = [c for c in codes if "/lookup" in c]
    assert lookup and d.code in lookup[0] and f"s={d.lookup_secret}" in lookup[0]
    vietqr = [c for c in codes if c.startswith("000201")]
    assert len(vietqr) == 1 and fees.crc_ok(vietqr[0])
    tags = fees.parse_tlv(vietqr[0])
    assert tags["53"] == "704" and tags["54"] == "20000" and tags["58"] == "VN"
    merchant = fees.parse_tlv(tags["38"])
    assert merchant["00"] == "A000000727" and fees.parse_tlv(merchant["01"]) == {"00": BANK_BIN,
                                                                                  "01": ACCOUNT}
    assert fees.parse_tlv(tags["62"])["08"] == d.code

    doc = _pdf(page, f"{server}/dossiers/{guided.code}/form/02", tmp_path / "02.pdf")
    _a4(doc)
    for field in ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", guided.code, "NGUYỄN VĂN AN", "0912345678",
                  "Đăng ký khai sinh", "Giấy chứng sinh bản chính", "Tờ khai có chữ ký",
                  "0203 3874 123", "NGƯỜI HƯỚNG DẪN", "Trần Thị Lan"):
        assert field in doc["text"], field
    assert re.search(r"Số: 0001/\d{4}/HDBS", doc["text"])

    doc = _pdf(page, f"{server}/dossiers/{refused.code}/form/03", tmp_path / "03.pdf")
    _a4(doc)
    for field in ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", refused.code, "NGUYỄN VĂN AN",
                  "Đăng ký khai sinh", "Không thuộc thẩm quyền của xã", "Trần Thị Lan"):
        assert field in doc["text"], field
    assert re.search(r"Số: 0001/\d{4}/TCHS", doc["text"])

    doc = _pdf(page, f"{server}/dossiers/{d.code}/form/04", tmp_path / "04.pdf")
    _a4(doc)
    for field in ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", d.original_due_at.strftime("%H:%M %d/%m/%Y"),
                  "Chờ xác minh nơi cư trú", d.due_at.strftime("%H:%M %d/%m/%Y"), "THỦ TRƯỞNG CƠ QUAN"):
        assert field in doc["text"], field

    doc = _pdf(page, f"{server}/dossiers/{d.code}/form/05", tmp_path / "05.pdf")
    _a4(doc)
    for field in ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Giao: Bộ phận tiếp nhận và trả kết quả",
                  "Nhận: Công chức chuyên môn", "Người giao", "Người nhận", "Kết quả giải quyết hồ sơ",
                  "(ký)", "Trước hạn"):
        assert field in doc["text"], field

    doc = _pdf(page, f"{server}/book", tmp_path / "06.pdf")
    _a4(doc, landscape=True)
    for field in ("SỔ THEO DÕI HỒ SƠ", "Đơn vị giải quyết", d.code, guided.code, "Đăng ký thường trú",
                  "NGUYỄN VĂN AN".title(), "0912345678", "Công chức chuyên môn", "ban đầu"):
        assert field in doc["text"], field
