"""The clerk's desk, second version, in a real browser (Debian's Chromium) against a real node: the
CCCD QR typed by a reader (keys, then Enter) fills the applicant without submitting the form, and
a failed submit puts the focus on the first error."""
from __future__ import annotations

import re

from tests.test_browser import browser, login, page, pytestmark, server, shot  # noqa: F401
from tests.test_cccd import QR


def test_a_qr_reader_fills_the_applicant_and_enter_does_not_submit(page, server):
    from playwright.sync_api import expect
    login(page, server)
    page.goto(server + "/dossiers/new/1.001193")
    page.focus("#f-cccd_qr")
    page.keyboard.type(QR)                      # a QR reader is a keyboard
    page.keyboard.press("Enter")
    expect(page.locator("#f-full_name")).to_have_value("Nguyễn Văn An")
    expect(page.locator("#f-id_number")).to_have_value("022085001234")
    expect(page.locator("#f-date_of_birth")).to_have_value("12/03/1985")
    expect(page.locator("#f-address")).to_have_value(re.compile("Quan Lạn"))
    expect(page.locator("#f-phone")).to_be_focused()
    assert page.url.endswith("/dossiers/new/1.001193")           # nothing was submitted
    expect(page.locator("#cccd-result")).to_contain_text("thẻ căn cước")
    shot(page, "desk2-01-cccd-filled")

    page.fill("#f-cccd_qr", "")
    page.focus("#f-cccd_qr")
    page.keyboard.type("022085001234||Nguyễn Văn An|12032005|Nam|x|15062021")
    page.keyboard.press("Enter")
    expect(page.locator("#cccd-result")).to_have_class("error")
    expect(page.locator("#f-id_number")).to_be_focused()


def test_after_a_failed_submit_the_first_error_has_the_focus(page, server):
    from playwright.sync_api import expect
    login(page, server)
    page.goto(server + "/dossiers/new/1.001193")
    page.fill("#f-full_name", "Phạm Thị Hương")
    page.fill("#f-id_number", "022190004321")
    page.fill("#f-date_of_birth", "01/01/1990")
    page.fill("#f-phone", "12")                      # wrong, but not empty: the server says why
    page.fill("#f-address", "Quan Lạn")
    page.focus("#save")
    page.keyboard.press("Enter")
    expect(page.locator("#err-phone")).to_be_visible()
    expect(page.locator("#f-phone")).to_be_focused()
    shot(page, "desk2-02-first-error-focused")
