"""An officer's day in a real browser (Debian's Chromium) against real servers: `motcua central
serve` and `motcua node serve`, each its own process on 127.0.0.1, the point enrolled with a token
and every sync a real `motcua node sync` over HTTP.

A clerk receives a dossier; it reaches the center; the officer starts it and asks for a supplement;
the point sees the request, takes the papers and they reach the center; the officer uploads the
result PDF and marks it ready; the point shows the file and returns the result; the dashboard counts
it finished early, and the fleet page shows when the point was last heard from. Screenshots go to
`test-artifacts/center-day-*.png`.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import CLERK_PASSWORD, pdf_bytes, png_bytes
from tests.procs import free_port, motcua, start_server, stop
from tests.sync_env import Center
from tests.test_browser import browser, page, pytestmark, shot  # noqa: F401

OFFICER_PASSWORD = "mat-khau-can-bo-1"


@pytest.fixture
def servers(tmp_path):
    """A center with an officer and a leader, and a point enrolled at it with a clerk: both served."""
    center = Center(tmp_path).start()
    for username, role in (("hoa", "officer"), ("lanh", "leader")):
        motcua("central", "user", "add", "--data-dir", center.dir, "--username", username,
               "--role", role, "--full-name", "Lê Thị Hoa", input_text=OFFICER_PASSWORD + "\n")
    node_dir = tmp_path / "node"
    motcua("node", "init", "--data-dir", node_dir, "--unit-code", "07024", "--name", "Quan Lạn")
    motcua("node", "user", "add", "--data-dir", node_dir, "--username", "lan", "--role", "clerk",
           "--full-name", "Trần Thị Lan", input_text=CLERK_PASSWORD + "\n")
    motcua("node", "enroll", "--data-dir", node_dir, "--central", center.url,
           "--token", center.token("07024", "Quan Lạn"))
    port = free_port()
    node = start_server(["node", "serve", "--data-dir", node_dir, "--port", port], port,
                        path="/help")
    try:
        yield center, f"http://127.0.0.1:{port}", node_dir
    finally:
        stop(node)
        center.stop()


def sync(node_dir) -> str:
    """One real round of the point over HTTP (`motcua node sync`)."""
    return motcua("node", "sync", "--data-dir", node_dir)


def login(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_load_state()
    assert "/login" not in page.url


def test_an_officers_day(servers, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect
    center, node_url, node_dir = servers
    files = {}
    for name, data in [("to-khai.png", png_bytes(seed=5)), ("chung-sinh.pdf", pdf_bytes("bs")),
                       ("ket-qua.pdf", pdf_bytes("giay khai sinh"))]:
        files[name] = tmp_path / name
        files[name].write_bytes(data)
    clerk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN").new_page()
    officer = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN").new_page()
    for p in (clerk, officer):
        p.set_default_timeout(15000)

    # 1. The clerk receives a dossier with one scan; it reaches the center by a real sync.
    login(clerk, node_url, "lan", CLERK_PASSWORD)
    clerk.goto(node_url + "/dossiers/new/1.001193")
    clerk.fill("#f-full_name", "Phạm Thị Hương")
    clerk.fill("#f-id_number", "022190004321")
    clerk.fill("#f-date_of_birth", "01/01/1990")
    clerk.fill("#f-phone", "0388 111 222")
    clerk.fill("#f-address", "Thôn Yến Hải, xã Quan Lạn")
    clerk.set_input_files("#scan-1\\.001193-d1", [str(files["to-khai.png"])])
    clerk.click("#save")
    clerk.wait_for_url(re.compile(r"/form/01"))
    code = clerk.locator("#f01-code").inner_text()
    sync(node_dir)

    # 2. The officer finds it, starts processing and asks for a paper (Form 02's list).
    login(officer, center.url, "hoa", OFFICER_PASSWORD)
    officer.goto(center.url + "/dossiers/?q=pham+thi+huong")
    officer.click(f"a:text('{code}')")
    expect(officer.locator("#dossier-code")).to_have_text(code)
    expect(officer.locator("#scans")).to_contain_text("to-khai.png")
    officer.click("#act-4 button")
    expect(officer.locator("#status")).to_have_text("Đang xử lý")
    officer.fill("#items-5", "Bản sao giấy chứng sinh có chứng thực")
    officer.click("#act-5 button")
    expect(officer.locator("#status")).to_have_text("Yêu cầu bổ sung")
    expect(officer.locator("#delivery")).to_have_class(re.compile("error"))   # not yet at the point
    shot(officer, "center-day-01-supplement-asked")
    sync(node_dir)

    # 3. The point sees the request, takes the paper with its scan; the scan reaches the center.
    clerk.goto(f"{node_url}/dossiers/{code}")
    expect(clerk.locator("#status")).to_have_text("Yêu cầu bổ sung")
    expect(clerk.locator("#supplement-asked")).to_contain_text("giấy chứng sinh")
    shot(clerk, "center-day-02-point-sees-the-request")
    clerk.set_input_files("#sup-1\\.001193-d2", [str(files["chung-sinh.pdf"])])
    clerk.click("#act-supplement button")
    expect(clerk.locator("#status")).to_have_text("Đang xử lý")
    sync(node_dir)
    officer.reload()
    expect(officer.locator("#status")).to_have_text("Đang xử lý")
    expect(officer.locator("#scans")).to_contain_text("chung-sinh.pdf")
    expect(officer.locator("#delivery")).not_to_have_class(re.compile("error"))  # point has it all

    # 4. The officer uploads the result and marks it ready; the file goes down to the point.
    officer.set_input_files("#result-file", [str(files["ket-qua.pdf"])])
    officer.click("#act-9 button")
    expect(officer.locator("#status")).to_have_text("Đã có kết quả")
    expect(officer.locator("#scans")).to_contain_text("ket-qua.pdf")
    expect(officer.locator("#history")).to_contain_text("Tệp kết quả ket-qua.pdf")
    shot(officer, "center-day-03-result-ready")
    sync(node_dir)
    clerk.reload()
    expect(clerk.locator("#status")).to_have_text("Đã có kết quả")
    result = clerk.locator("#result-files a.result-file")
    expect(result).to_contain_text("ket-qua.pdf")
    expect(clerk.locator("#history")).to_contain_text("Tệp kết quả ket-qua.pdf")
    href = result.get_attribute("href")
    assert clerk.request.get(node_url + href).body() == files["ket-qua.pdf"].read_bytes()
    shot(clerk, "center-day-04-point-has-the-result")

    # 5. The point returns the result; the center hears of it.
    clerk.fill("#returned-to", "Phạm Văn Nam")
    clerk.click("#act-10 button")
    expect(clerk.locator("#status")).to_have_text("Đã trả kết quả")
    sync(node_dir)
    officer.reload()
    expect(officer.locator("#status")).to_have_text("Đã trả kết quả")

    # 6. The leader's dashboard counts it finished early; the fleet page shows the last contact.
    leader = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN").new_page()
    login(leader, center.url, "lanh", OFFICER_PASSWORD)
    leader.goto(center.url + "/dashboard/")
    expect(leader.locator("#with-result")).to_have_text("1")
    expect(leader.locator("#early")).to_contain_text("1 (100")
    expect(leader.locator("#late")).to_contain_text("0")
    expect(leader.locator("#intake-total")).to_have_text("1")
    expect(leader.locator("#digitised")).to_contain_text("1")
    shot(leader, "center-day-05-dashboard")
    leader.goto(center.url + "/points/")
    row = leader.locator("#point-07024")
    expect(row).to_contain_text("Quan Lạn")
    expect(row).not_to_contain_text("chưa bao giờ")
    expect(row).not_to_have_class(re.compile("silent"))
    shot(leader, "center-day-06-fleet")
