"""The queue in a real browser (Debian's Chromium) against a real `motcua node serve`, three pages at
once: the kiosk, a clerk's desk and the TV display. A ticket is taken, called, on the display within
a second, read aloud (the call's WAV loads and plays without error), linked to a new dossier, rated
on the kiosk; the node is killed and started again on the same port and the display recovers by
itself. Screenshots go to `test-artifacts/queue-*.png`.
"""
from __future__ import annotations

import re
import shutil
import time

import pytest

from tests.test_browser import CHROMIUM, LAUNCH_ARGS, clerk_node, login, pytestmark, shot  # noqa: F401

needs_voice = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                 reason="espeak-ng is not installed (apt-get install -y espeak-ng)")

# What the test adds to the display page to watch its <audio>: every media event with the state
# of the element at that moment (the page itself is not changed for the test).
WATCH_AUDIO = """() => {
  window.heard = [];
  const a = document.getElementById('announce');
  for (const kind of ['loadeddata', 'canplaythrough', 'playing', 'ended', 'error']) {
    a.addEventListener(kind, () => window.heard.push({kind, src: a.currentSrc,
      error: a.error ? a.error.code : null, ready: a.readyState, duration: a.duration}));
  }
}"""
# The display notes when a desk first shows a number (the wall clock the test also reads).
WATCH_DESKS = """() => {
  window.seen = {};
  const body = document.getElementById('desks');
  new MutationObserver(() => {
    for (const tr of body.querySelectorAll('tr')) {
      const key = tr.id + ':' + tr.cells[1].textContent;
      if (!(key in window.seen)) { window.seen[key] = Date.now(); }
    }
  }).observe(body, {childList: true, subtree: true});
}"""


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A real node with its voice clips (`node init` makes them when espeak-ng is there)."""
    server = clerk_node(tmp_path_factory.mktemp("queue-node"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        # a TV in kiosk mode starts Chromium so that sound needs no tap
        chromium = pw.chromium.launch(executable_path=CHROMIUM,
                                      args=[*LAUNCH_ARGS, "--autoplay-policy=no-user-gesture-required"])
        yield chromium
        chromium.close()


def _page(browser, width=1366, height=768):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    context.set_default_timeout(10000)
    page = context.new_page()
    page.on("pageerror", lambda e: print("PAGEERROR", e))
    return page


def _call_shown_after(display, clerk, desk: int, number: str) -> float:
    """Press "call next" on the clerk's page; seconds until the display shows `number` at `desk`."""
    before = time.time() * 1000
    clerk.click("#call-next")
    clerk.wait_for_load_state()
    key = f"desk-{desk}:{number}"
    display.wait_for_function(f"() => '{key}' in window.seen", timeout=5000)
    return (display.evaluate(f"() => window.seen['{key}']") - before) / 1000


@needs_voice
def test_a_ticket_from_kiosk_to_desk_to_display_to_dossier_to_rating(node, browser):
    from playwright.sync_api import expect
    kiosk, clerk, display = _page(browser, 1024, 768), _page(browser), _page(browser, 1280, 720)

    display.goto(node.base + "/queue/display")
    display.evaluate(WATCH_AUDIO)
    display.evaluate(WATCH_DESKS)
    display.click("#sound-on")
    expect(display.locator("#sound-on")).to_be_hidden()             # one tap, then out of the way
    expect(display.locator("#offline")).to_be_hidden()

    # the citizen takes a number: A001, its rating letters on the ticket
    kiosk.goto(node.base + "/queue/kiosk")
    shot(kiosk, "queue-01-kiosk")
    kiosk.click("#group-A")
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    expect(kiosk.locator("#ticket-ahead")).to_contain_text("0")
    secret = kiosk.locator("#ticket-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}", secret)
    shot(kiosk, "queue-02-ticket")
    expect(display.locator("#next")).to_contain_text("A001", timeout=2000)

    # the clerk sits at desk 2 and calls: the display shows it within a second
    login(clerk, node.base)
    clerk.goto(node.base + "/queue/desk")
    clerk.fill("#desk", "2")
    clerk.click("#desk-settings button[type=submit]")
    expect(clerk.locator("#call-next")).to_be_visible()
    delay = _call_shown_after(display, clerk, 2, "A001")
    print(f"FIGURE call → display: {delay:.3f} s")
    assert delay < 1.0
    expect(clerk.locator("#serving")).to_have_text("A001")
    expect(display.locator("#next")).not_to_contain_text("A001")
    shot(display, "queue-03-display-called")
    shot(clerk, "queue-04-desk-serving")

    # the call is read aloud: its WAV loads (no error, data ready) and plays to the end
    display.wait_for_function("() => window.heard.some(e => e.kind === 'ended')", timeout=15000)
    heard = display.evaluate("() => window.heard")
    assert not [e for e in heard if e["kind"] == "error" or e["error"] is not None], heard
    loaded = [e for e in heard if e["kind"] == "canplaythrough"]
    assert loaded and loaded[0]["src"].endswith(".wav") and loaded[0]["ready"] >= 3, heard
    assert 1.0 < loaded[0]["duration"] < 10, heard

    # the citizen on the phone: the ticket page says where to go
    kiosk.reload()
    expect(kiosk.locator("#ticket-called")).to_contain_text("quầy số 2")

    # the clerk takes a dossier from the called ticket
    clerk.click("#take-dossier")
    clerk.fill("#proc-q", "dang ky khai sinh")
    clerk.locator('#proc-list a[href$="/dossiers/new/1.001193"]').click()
    clerk.fill("#f-full_name", "Phạm Thị Hương")
    clerk.fill("#f-id_number", "022190004321")
    clerk.fill("#f-date_of_birth", "01/01/1990")
    clerk.fill("#f-phone", "0388 111 222")
    clerk.fill("#f-address", "Thôn Yến Hải, xã Quan Lạn")
    clerk.click("#save")
    clerk.wait_for_url(re.compile(r"/form/01"))
    code = clerk.locator("#f01-code").inner_text()
    clerk.goto(node.base + "/queue/desk")
    expect(clerk.locator(".serving")).to_contain_text(code)      # linked to the ticket
    shot(clerk, "queue-05-desk-linked")

    # too early to rate: no result yet
    kiosk.goto(node.base + "/queue/kiosk")
    kiosk.click("#to-rate")
    kiosk.fill("#code", "A001")
    kiosk.fill("#s", secret.lower())
    kiosk.click("#rate-find button[type=submit]")
    kiosk.locator('input[name="rating"]').first.check()
    kiosk.click("#rate-form button[type=submit]")
    expect(kiosk.locator("#rate-error")).to_be_visible()

    # the result is ready; the citizen rates on the kiosk, nothing preselected, once
    clerk.goto(node.base + f"/dossiers/{code}")
    clerk.click("#act-4 button")
    clerk.click("#act-9 button")
    expect(clerk.locator("#status")).to_contain_text("kết quả")
    kiosk.goto(node.base + "/queue/rate")
    kiosk.fill("#code", "A001")
    kiosk.fill("#s", secret)
    kiosk.click("#rate-find button[type=submit]")
    choices = kiosk.locator('input[name="rating"]')
    assert choices.count() == 3
    assert not any(choices.nth(i).is_checked() for i in range(3))      # no level preselected
    shot(kiosk, "queue-06-rate")
    kiosk.get_by_label("Hài lòng", exact=True).check()
    kiosk.click("#rate-form button[type=submit]")
    expect(kiosk.locator("#rate-done")).to_contain_text(code)
    clerk.goto(node.base + f"/dossiers/{code}")
    expect(clerk.locator("body")).to_contain_text("Hài lòng")

    # the node dies (SIGKILL) and comes back on the same port: the display says so, then recovers
    node.kill()
    expect(display.locator("#offline")).to_be_visible(timeout=5000)
    shot(display, "queue-07-display-offline")
    node.start()
    expect(display.locator("#offline")).to_be_hidden(timeout=5000)
    kiosk.goto(node.base + "/queue/kiosk")
    kiosk.click("#group-B")
    expect(kiosk.locator("#ticket-number")).to_have_text("B001")
    expect(display.locator("#next")).to_contain_text("B001", timeout=2000)
    clerk.goto(node.base + "/queue/desk")                             # the session survived
    delay = _call_shown_after(display, clerk, 2, "B001")
    print(f"FIGURE call → display after restart: {delay:.3f} s")
    assert delay < 1.0
    shot(display, "queue-08-display-recovered")
    for page in (kiosk, clerk, display):
        page.context.close()


@needs_voice
def test_the_display_plays_the_call_sequence_in_order(node, browser):
    """Three calls in a row (two desks and a recall) are read one after another, each WAV loaded
    without error and played to its end, in the order called."""
    from playwright.sync_api import expect
    display, clerk = _page(browser, 1280, 720), _page(browser)
    display.goto(node.base + "/queue/display")
    display.evaluate(WATCH_AUDIO)
    display.evaluate(WATCH_DESKS)
    expect(display.locator("#offline")).to_be_hidden()
    display.wait_for_timeout(700)                   # the first answer sets the mark
    for group in "CC":
        kiosk = _page(browser)
        kiosk.goto(node.base + "/queue/kiosk")
        kiosk.click(f"#group-{group}")
        kiosk.context.close()
    login(clerk, node.base)
    clerk.goto(node.base + "/queue/desk")
    clerk.fill("#desk", "3")
    clerk.click("#desk-settings button[type=submit]")
    clerk.click("#call-next")
    clerk.click("#recall")
    clerk.click("#call-next")
    display.wait_for_function(
        "() => window.heard.filter(e => e.kind === 'ended').length >= 3", timeout=30000)
    heard = display.evaluate("() => window.heard")
    assert not [e for e in heard if e["kind"] == "error" or e["error"] is not None], heard
    played = [e["src"].rsplit("/", 1)[1] for e in heard if e["kind"] == "ended"]
    ids = [int(p.split(".")[0]) for p in played]
    assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3, played
    assert all(e["ready"] >= 2 for e in heard if e["kind"] in ("playing", "ended")), heard
    shot(display, "queue-09-display-sequence")
    for page in (display, clerk):
        page.context.close()
