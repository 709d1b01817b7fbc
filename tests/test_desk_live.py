"""The desk stays true without reloading, against real processes: a `motcua central serve` and a
`motcua node serve` (background sync every 2 s) on loopback. Today's lists move when a supplement
requested by an officer at the center arrives; the sync indicator says "offline since HH:MM" within
one sync interval of the center being stopped and comes back online by itself once it restarts."""
from __future__ import annotations

import re
import time

import pytest
import requests

from tests.conftest import CLERK_PASSWORD, dossier_body
from tests.procs import free_port, motcua, start_server, stop
from tests.sync_env import Center, make_node

pytestmark = pytest.mark.slow

INTERVAL_S = 2.0
OFFICER_PASSWORD = "mat-khau-dai-2"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def world(tmp_path):
    from node.users import add_user, create_token
    center = Center(tmp_path).start()
    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024", "Quan Lạn"))
    add_user("lan", CLERK_PASSWORD, "clerk", "Trần Thị Lan")
    node_token = create_token("lan")
    motcua("central", "user", "add", "--data-dir", center.dir, "--username", "hoa",
           "--role", "officer", input_text=OFFICER_PASSWORD + "\n")
    center_token = motcua("central", "token", "create", "--data-dir", center.dir,
                          "--username", "hoa").strip()
    port = free_port()
    proc = start_server(["node", "serve", "--data-dir", folder, "--port", port], port,
                        env={"NODE_SYNC_INTERVAL_SECONDS": str(INTERVAL_S),
                             "MOTCUA_SYNC_RETRY_CAP_S": "2"})
    clerk = requests.Session()
    base = f"http://127.0.0.1:{port}"
    page = clerk.get(base + "/login", timeout=15)
    clerk.post(base + "/login", timeout=15, data={"username": "lan", "password": CLERK_PASSWORD,
                                                  "csrf_token": _csrf(page.text)})
    yield {"center": center, "base": base, "clerk": clerk,
           "node_api": {"Authorization": f"Bearer {node_token}"},
           "center_api": {"Authorization": f"Bearer {center_token}"}}
    stop(proc)
    center.stop()


def _wait(check, timeout: float, step: float = 0.25):
    """Poll `check` until it returns something true; returns (value, seconds taken)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        value = check()
        if value:
            return value, time.monotonic() - start
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s")


def test_today_moves_when_a_supplement_arrives_from_the_center(world):
    base, clerk = world["base"], world["clerk"]
    code = requests.post(base + "/api/v1/dossiers", json=dossier_body(), timeout=15,
                         headers=world["node_api"]).json()["code"]
    requests.post(f"{base}/api/v1/dossiers/{code}/transitions", json={"to": 4}, timeout=15,
                  headers=world["node_api"])
    today = clerk.get(base + "/today", timeout=15).text
    stamp = re.search(r'id="worklists" data-stamp="([^"]+)"', today).group(1)
    assert 'data-poll="/today/lists.json"' in today

    center = world["center"].url
    _wait(lambda: requests.get(f"{center}/api/v1/dossiers/{code}", timeout=5,
                               headers=world["center_api"]).status_code == 200, 20)
    r = requests.post(f"{center}/api/v1/dossiers/{code}/transitions", timeout=15,
                      headers=world["center_api"], json={"to": 5, "reason": "Thiếu bản sao"})
    assert r.status_code < 300, r.text

    def moved():
        now = clerk.get(base + "/today/lists.json", timeout=5).json()
        return now if now["stamp"] != stamp and now["counts"]["waiting_papers"] == 1 else None
    now, _ = _wait(moved, 20)
    fragment = clerk.get(base + "/today/lists", timeout=5).text
    waiting = fragment.split('id="waiting_papers-list"')[1].split("</section>")[0]
    assert code in waiting and "<html" not in fragment


def test_the_indicator_says_offline_within_one_interval_and_recovers_by_itself(world):
    base, clerk, center = world["base"], world["clerk"], world["center"]

    def badge(state):
        html = clerk.get(base + "/sync/indicator", timeout=5).text
        return html if f"sync-state {state}" in html else None
    _wait(lambda: badge("online"), 20)
    page = clerk.get(base + "/today", timeout=15).text
    every = int(re.search(r'id="sync-badge"[^>]*data-every="(\d+)"', page).group(1))
    assert every <= INTERVAL_S * 1000            # the page asks at least once per interval

    center.stop()
    html, took = _wait(lambda: badge("offline"), 6 * INTERVAL_S, step=0.1)
    # The first refused connection is told at once (not after the round's last retry): within
    # one interval, plus the round's own connect attempt.
    assert took <= INTERVAL_S + 1.5, took
    assert re.search(r"Mất liên lạc với trung tâm từ [^<]*\d\d:\d\d", html), html
    assert 'id="sync-error"' in html and "Không liên lạc được với trung tâm" in html

    center.start()
    html, _ = _wait(lambda: badge("online"), 30)
    assert 'id="sync-error"' not in html
