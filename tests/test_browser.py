"""The clerk's day in a real browser (Debian's Chromium via Playwright) against a real node server.

The node runs as `motcua node serve` in a child process on a free 127.0.0.1 port with a temporary
data dir; screenshots of every page go to `test-artifacts/` for a person to look at.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CLERK_PASSWORD, pdf_bytes, png_bytes
from tests.procs import stop as stop_process

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian's Chromium is not installed (apt-get install -y chromium)")]


def _motcua(*args, data_dir, stdin=None):
    return subprocess.run([sys.executable, "-m", "motcua", "node", *args, "--data-dir", str(data_dir)],
                          input=stdin, capture_output=True, text=True, check=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """`motcua node serve` on a fixed port, which a test can kill (SIGKILL) and start again."""

    def __init__(self, data_dir, port):
        self.data_dir, self.port, self.proc = data_dir, port, None
        self.base = f"http://127.0.0.1:{port}"

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "motcua", "node", "serve", "--data-dir",
                                      str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.base + "/help", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise RuntimeError("node did not start: " + self.proc.stderr.read().decode()[-2000:])
                time.sleep(0.1)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc.stderr.close()

    def stop(self):
        if self.proc:
            stop_process(self.proc, grace=10)


def clerk_node(data_dir) -> Node:
    """A node made in `data_dir` by `motcua node init`, with the clerk lan; not started yet."""
    _motcua("init", "--unit-code", "07024", "--name", "Quan Lạn", data_dir=data_dir)
    _motcua("user", "add", "--username", "lan", "--role", "clerk", "--full-name", "Trần Thị Lan",
            data_dir=data_dir, stdin=CLERK_PASSWORD + "\n")
    return Node(data_dir, _free_port())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real node: `motcua node init`, a clerk account, then `motcua node serve` until the tests end."""
    node = clerk_node(tmp_path_factory.mktemp("browser-node"))
    node.start()
    yield node.base
    node.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    context.set_default_timeout(10000)
    pg = context.new_page()
    pg.on("console", lambda m: print("CONSOLE", m.type, m.text))
    pg.on("pageerror", lambda e: print("PAGEERROR", e))
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, base):
    page.goto(base + "/login")
    page.fill("#username", "lan")
    page.fill("#password", CLERK_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(re.compile(r"/today$"))


def decode_qr(png: Path) -> str:
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, f"no QR code found in {png}: {out.stderr}"
    return out.stdout.strip()


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg missing (apt-get install -y zbar-tools)")
def test_a_clerks_day(page, server, browser, tmp_path):
    from playwright.sync_api import expect
    login(page, server)
    expect(page.locator("#sync-badge")).to_contain_text("Đồng bộ")
    shot(page, "01-today")

    # New dossier: find the procedure by typing without accents (live, server-side filter).
    page.click("text=Tiếp nhận hồ sơ")
    page.fill("#proc-q", "dang ky khai sinh")
    link = page.locator('#proc-list a[href$="/dossiers/new/1.001193"]')
    expect(link).to_be_visible()
    shot(page, "02-pick-procedure")
    link.click()
    expect(page.locator("#due-preview")).not_to_be_empty()
    page.fill("#f-full_name", "Phạm Thị Hương")
    page.fill("#f-id_number", "022190004321")
    page.fill("#f-date_of_birth", "01/01/1990")
    page.fill("#f-phone", "0388 111 222")
    page.fill("#f-address", "Thôn Yến Hải, xã Quan Lạn")
    files = []
    for name, data in [("to-khai.png", png_bytes(seed=1)), ("chung-sinh.pdf", pdf_bytes("x")),
                       ("nham.png", png_bytes(seed=3))]:
        (tmp_path / name).write_bytes(data)
        files.append(str(tmp_path / name))
    page.set_input_files("#scan-1\\.001193-d1", files)
    picked = page.locator('ul.picked[data-for="scan-1.001193-d1"] li')
    expect(picked).to_have_count(3)
    picked.nth(2).get_by_role("button", name="Bỏ").click()       # remove before saving
    expect(picked).to_have_count(2)
    shot(page, "03-new-dossier-form")
    page.click("#save")

    # Form 01: code, due date and a QR code that decodes to the lookup link with the code.
    page.wait_for_url(re.compile(r"/form/01"))
    code = page.locator("#f01-code").inner_text()
    assert re.fullmatch(r"07024-\d{6}-\d{4}", code)
    due = page.locator("#f01-due").inner_text()
    assert re.search(r"\d\d giờ \d\d phút, ngày \d\d/\d\d/\d{4}", due)
    qr_url = decode_qr(shot(page, "04-form01"))
    assert code in qr_url and qr_url.startswith(server + "/lookup")
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "04b-form01-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # Find it by the applicant's name typed without accents.
    page.click("text=Tìm hồ sơ")
    page.fill("#q", "pham thi huong")
    page.press("#q", "Enter")
    expect(page.locator("#results")).to_contain_text(code)
    shot(page, "05-find")
    page.click(f"#results a:text('{code}')")
    expect(page.locator("#dossier-code")).to_have_text(code)
    expect(page.locator(".thumbs a.scan")).to_have_count(2)

    # Processing, a supplement request (Form 02), resume, result ready, returned.
    page.click("#act-4 button")
    page.fill("#reason-5", "Bản sao giấy chứng sinh có chứng thực")
    page.click("#act-5 button")
    expect(page.locator("#status")).to_have_text("Yêu cầu bổ sung")
    shot(page, "06-supplement-requested")
    page.click("#print02")
    expect(page.locator("#f02-items")).to_contain_text("giấy chứng sinh")
    shot(page, "07-form02")
    page.click("#back-to-dossier")
    page.click("#act-supplement button")
    page.click("#act-9 button")
    page.fill("#returned-to", "Phạm Văn Nam")
    page.click("#act-10 button")
    expect(page.locator("#status")).to_have_text("Đã trả kết quả")
    expect(page.locator("#history")).to_contain_text("Phạm Văn Nam")
    shot(page, "08-returned")
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login$"))

    # The citizen scans the receipt's QR code: the public lookup shows the status, no login.
    kiosk = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    kiosk.goto(qr_url)
    expect(kiosk.locator("#lookup-status")).to_have_text("Đã trả kết quả")
    assert "Phạm" not in kiosk.content()
    shot(kiosk, "09-public-lookup")
    kiosk.context.close()


def test_pages_load_nothing_from_outside_the_node(page, server):
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    login(page, server)
    for path in ("/today", "/dossiers/new", "/dossiers/new/1.001193", "/find?q=a", "/book", "/help"):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
    page.goto(server + "/find")
    first = page.locator("#results a").first
    if first.count():
        first.click()
        page.goto(page.url + "/form/01")
    page.goto(server + "/lookup")
    outside = [u for u in urls if not u.startswith(server + "/") and not u.startswith(("data:", "blob:"))]
    assert urls and not outside, outside
