"""A whole day at the desk in a real browser (Debian's Chromium via Playwright), by keyboard only,
against a real `motcua node serve` synced every 2 s with a real `motcua central serve`:

intake from a CCCD QR string (typed by the reader) → three papers scanned with "Quét" on SANE's
test backend (a feeder batch becomes one PDF) → the center asks for a supplement, which appears on
Today without a reload → the papers brought are recorded → the center marks the result ready → the
clerk hands it back → the citizen rates on the tablet view. No mouse event is sent; screenshots of
each step go to `test-artifacts/`. axe-core (from npm, injected from its local file) must find no
serious or critical violation on any clerk page. The keys of the intake with its three scans are
counted and printed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import CLERK_PASSWORD, png_bytes
from tests.procs import free_port, motcua, start_server, stop
from tests.sync_env import Center, make_node
from tests.test_browser import CHROMIUM, LAUNCH_ARGS, shot
from tests.test_cccd import QR

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is missing"),
              pytest.mark.skipif(shutil.which("scanimage") is None, reason="sane-utils is missing")]

AXE_CACHE = Path(os.environ.get("MOTCUA_NPM_CACHE",
                                Path.home() / ".cache" / "motcua-npm"))
OFFICER_PASSWORD = "mat-khau-dai-2"


def axe_file() -> Path:
    """axe-core's browser bundle, installed from npm into a cache folder on first use (a test
    set-up step; scripts/test.sh does it too). Skips when npm cannot be had."""
    path = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is missing (apt-get install -y npm)")
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                               str(AXE_CACHE), "axe-core"], capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0 or not path.exists():
            pytest.skip("axe-core could not be installed from npm: " + done.stderr[-300:])
    return path


class Keys:
    """The keyboard, counted: every key the clerk presses (a QR reader's characters apart)."""

    def __init__(self, page):
        self.page, self.pressed, self.reader = page, 0, 0

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.pressed += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.pressed += len(text)

    def reader_types(self, text: str) -> None:
        """A desk QR reader is a keyboard too; its characters are counted apart."""
        self.page.keyboard.type(text)
        self.reader += len(text)

    def tab_to(self, selector: str, limit: int = 150) -> int:
        """Press Tab until `selector` has the focus; returns how many presses it took."""
        for n in range(1, limit + 1):
            self.press("Tab")
            if self.page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)",
                                  selector):
                return n
        raise AssertionError(f"Tab never reached {selector}")


@pytest.fixture(scope="module")
def sane_conf(tmp_path_factory) -> Path:
    conf = tmp_path_factory.mktemp("sane")
    (conf / "dll.conf").write_text("test\n")
    shutil.copy("/etc/sane.d/test.conf", conf / "test.conf")
    return conf


@pytest.fixture
def world(tmp_path, sane_conf):
    from node.users import add_user
    center = Center(tmp_path).start()
    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024", "Quan Lạn"))
    add_user("lan", CLERK_PASSWORD, "clerk", "Trần Thị Lan")
    motcua("central", "user", "add", "--data-dir", center.dir, "--username", "hoa",
           "--role", "officer", input_text=OFFICER_PASSWORD + "\n")
    token = motcua("central", "token", "create", "--data-dir", center.dir, "--username", "hoa").strip()
    port = free_port()
    proc = start_server(["node", "serve", "--data-dir", folder, "--port", port], port,
                        env={"NODE_SYNC_INTERVAL_SECONDS": "2", "MOTCUA_SYNC_RETRY_CAP_S": "2",
                             "SANE_CONFIG_DIR": str(sane_conf)})
    yield {"base": f"http://127.0.0.1:{port}", "center": center,
           "officer": {"Authorization": f"Bearer {token}"}}
    stop(proc)
    center.stop()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        # bypass_csp: axe is injected from its local file as an inline script
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN",
                                      bypass_csp=True)
        context.set_default_timeout(20000)
        pg = context.new_page()
        pg.on("pageerror", lambda e: print("PAGEERROR", e))
        yield pg
        context.close()
        browser.close()


def axe_check(page, seen: dict) -> None:
    """Run axe-core on the page shown; keep its serious and critical violations by page."""
    page.add_script_tag(path=str(axe_file()))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ' (' + v.impact + '): '
                  + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")
    seen[re.sub(r"^https?://[^/]+", "", page.url)] = found


def _center(world, method, path, **kwargs):
    r = requests.request(method, world["center"].url + path, headers=world["officer"], timeout=15,
                         **kwargs)
    assert r.status_code < 300, r.text
    return r.json()


def _until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("not in time")


def test_a_whole_day_at_the_desk_by_keyboard(world, page, tmp_path):
    from playwright.sync_api import expect

    from node.models import Dossier
    base, axe = world["base"], {}
    mouse = {"events": 0}
    page.on("request", lambda r: None)
    page.expose_function("countMouse", lambda: mouse.__setitem__("events", mouse["events"] + 1))
    page.add_init_script("['mousedown','click','pointerdown'].forEach(t => window.addEventListener(t,"
                         " e => { if (e.isTrusted && e.detail > 0) window.countMouse(); }, true));")
    keys = Keys(page)

    # Morning: log in.
    page.goto(base + "/login")
    axe_check(page, axe)
    keys.type("lan")
    keys.press("Tab")
    keys.type(CLERK_PASSWORD)
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/today$"))
    axe_check(page, axe)
    shot(page, "day-01-today")

    # Intake, counted from Today to the third scan saved.
    start = keys.pressed
    keys.press("Enter")                                   # "+ Tiếp nhận hồ sơ" has the focus
    page.wait_for_url(re.compile(r"/dossiers/new$"))
    axe_check(page, axe)
    keys.type("1.001193")
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/dossiers/new/1.001193$"))
    expect(page.locator("#f-cccd_qr")).to_be_focused()
    keys.reader_types(QR)
    keys.press("Enter")                                   # the reader's own Enter
    expect(page.locator("#f-phone")).to_be_focused()
    keys.type("0912345678")
    keys.tab_to("#f-detail-child_full_name")
    keys.type("Nguyễn Minh Khang")
    keys.press("Tab")
    keys.type("02/11/2025")
    keys.press("Tab")
    keys.type("Trạm y tế xã Quan Lạn")
    keys.press("Tab")
    keys.type("Nam")
    for key in ("1.001193-d1", "1.001193-d2", "1.001193-d3"):
        keys.tab_to(f'[id="has-{key}"]')
        keys.press("Space")
    axe_check(page, axe)
    shot(page, "day-02-intake-filled")
    keys.tab_to("#save")
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/form/01"))
    code = page.locator("#f01-code").inner_text()
    expect(page.locator("#f01-child_full_name")).to_contain_text("Nguyễn Minh Khang")
    axe_check(page, axe)
    shot(page, "day-03-form01")
    keys.tab_to("#back-to-dossier")
    keys.press("Enter")
    page.wait_for_url(re.compile(rf"/dossiers/{code}$"))
    axe_check(page, axe)
    for key, feeder in (("1.001193-d1", False), ("1.001193-d2", True), ("1.001193-d3", False)):
        if feeder:
            keys.tab_to(f'[id="source-{key}"]')
            keys.press("ArrowDown")                       # Khay nạp giấy
            keys.tab_to(f'[id="pages-{key}"]')
            keys.press("Control+a")
            keys.type("3")
        keys.tab_to(f'[id="scan-btn-{key}"]')
        keys.press("Enter")
        page.wait_for_url(re.compile(rf"/dossiers/{code}#paper-{re.escape(key)}$"))
        expect(page.locator(f'[id="paper-{key}"] .files li')).to_have_count(1)
    intake_keys = keys.pressed - start
    shot(page, "day-04-three-scans")
    d = Dossier.get(code=code)
    mimes = sorted(a.blob.mime for a in d.attachments)
    assert mimes == ["application/pdf", "image/png", "image/png"]
    print(f"\nINTAKE WITH THREE SCANS: {intake_keys} keystrokes by the clerk, "
          f"{keys.reader} characters typed by the QR reader, {mouse['events']} clicks")

    # The center takes it up and asks for a supplement; Today shows it without a reload.
    keys.tab_to('nav a[href="/today"]')
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/today$"))
    _until(lambda: requests.get(f"{world['center'].url}/api/v1/dossiers/{code}",
                                headers=world["officer"], timeout=5).status_code == 200)
    _center(world, "POST", f"/api/v1/dossiers/{code}/transitions", json={"to": 4})
    _center(world, "POST", f"/api/v1/dossiers/{code}/transitions",
            json={"to": 5, "reason": "Bản sao giấy chứng sinh có chứng thực"})
    loads = page.evaluate("performance.getEntriesByType('navigation').length")
    url = page.url
    expect(page.locator("#count-waiting_papers")).to_have_text("1", timeout=30000)
    expect(page.locator("#waiting_papers-list")).to_contain_text(code)
    assert page.url == url and page.evaluate("performance.getEntriesByType('navigation').length") == loads
    expect(page.locator("#worklists-note")).to_contain_text("cập nhật")
    axe_check(page, axe)
    shot(page, "day-05-supplement-arrived")

    # The citizen comes back with the paper: recorded with the move back to processing.
    keys.tab_to(f'#waiting_papers-list a[href="/dossiers/{code}"]')
    keys.press("Enter")
    page.wait_for_url(re.compile(rf"/dossiers/{code}$"))
    expect(page.locator("#act-supplement")).to_contain_text("Bản sao giấy chứng sinh")
    sample = tmp_path / "ban-sao-chung-sinh.png"
    sample.write_bytes(png_bytes(seed=11))
    page.set_input_files('[id="sup-1.001193-d2"]', str(sample))      # the file dialog's answer
    keys.tab_to('#act-supplement button[type="submit"]')
    with page.expect_navigation():
        keys.press("Enter")
    _until(lambda: Dossier.get(code=code).status == 4)
    shot(page, "day-06-supplement-recorded")

    # The center marks the result ready; the clerk hands it back.
    _until(lambda: _center(world, "GET", f"/api/v1/dossiers/{code}")["status"] == 4)
    _center(world, "POST", f"/api/v1/dossiers/{code}/transitions", json={"to": 9})
    _until(lambda: Dossier.get(code=code).status == 9)
    page.goto(f"{base}/dossiers/{code}")                  # the clerk opens it (typed address)
    keys.tab_to('#act-10 button[type="submit"]')
    with page.expect_navigation():
        keys.press("Enter")
    _until(lambda: Dossier.get(code=code).status == 10)
    axe_check(page, axe)
    shot(page, "day-07-returned")

    # The citizen rates on the tablet view: nothing preselected.
    keys.tab_to("#rate-tablet")
    keys.press("Enter")
    page.wait_for_url(re.compile(rf"/dossiers/{code}/rate$"))
    assert page.locator('input[name="rating"]:checked').count() == 0
    axe_check(page, axe)
    shot(page, "day-08-rating-tablet")
    keys.tab_to('input[name="rating"]')
    keys.press("Space")
    keys.tab_to('#rate-form button[type="submit"]')
    keys.press("Enter")
    expect(page.locator("#rate-done")).to_be_visible()
    assert Dossier.get(code=code).rating == "very_satisfied"
    shot(page, "day-09-rated")

    # The other clerk pages, for axe.
    for path in ("/find", "/book", "/conflicts/", "/usb", "/queue/desk", "/help", "/lookup"):
        page.goto(base + path)
        axe_check(page, axe)
    assert mouse["events"] == 0
    bad = {url: found for url, found in axe.items() if found}
    assert not bad, bad
    assert {"/login", "/today", "/dossiers/new", "/dossiers/new/1.001193", f"/dossiers/{code}",
            f"/dossiers/{code}/rate", "/find", "/book", "/conflicts/", "/usb", "/queue/desk",
            "/help", "/lookup"} <= set(axe), sorted(axe)
    print(f"axe-core: {len(axe)} clerk pages, no serious or critical violation")
