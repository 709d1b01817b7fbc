"""The honest sync indicator on every clerk page: online, offline since the last contact, what
waits (events, dossiers, scans in MB) and the last error in plain Vietnamese."""
from __future__ import annotations

import io
from datetime import timedelta

from motcua import legaltime
from node import sync_status
from node.facts import set_state
from tests.conftest import dossier_body, png_bytes
from tests.test_webui import clerk, client  # noqa: F401 - fixtures


def _joined():
    set_state("central_url", "http://center.example:8700")
    set_state("central_keys", "{}")


def test_states_from_what_the_rounds_wrote(app):
    now = legaltime.now().replace(microsecond=0)
    assert sync_status.indicator(now=now)["state"] == "alone"
    _joined()
    assert sync_status.indicator(now=now)["state"] == "never"
    set_state("sync:last_contact", (now - timedelta(seconds=30)).isoformat())
    assert sync_status.indicator(now=now, interval_s=60)["state"] == "online"
    # Silent for more than three intervals is not "online", even with no error written.
    assert sync_status.indicator(now=now + timedelta(minutes=5), interval_s=60)["state"] == "offline"
    set_state("sync:last_error", "Không liên lạc được với trung tâm (gửi gói): từ chối kết nối.")
    ind = sync_status.indicator(now=now, interval_s=60)
    assert ind["state"] == "offline" and ind["since"] == now - timedelta(seconds=30)


def test_every_page_shows_it_with_units_and_the_last_error(clerk, api):
    _joined()
    contact = legaltime.now().replace(microsecond=0) - timedelta(hours=1)
    set_state("sync:last_contact", contact.isoformat())
    set_state("sync:last_error", "Không liên lạc được với trung tâm (gửi gói): từ chối kết nối.")
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    api.post(f"/api/v1/dossiers/{code}/attachments", data={
        "requirement": "1.001193-d1", "file": (io.BytesIO(png_bytes(300_000)), "a.png")},
        content_type="multipart/form-data")
    for url in ("/today", f"/dossiers/{code}", "/find", "/dossiers/new", "/conflicts/", "/usb"):
        page = clerk.get(url).text
        bar = page.split('id="sync-badge"')[1].split("</aside>")[0]
        assert f"Mất liên lạc với trung tâm từ {contact:%H:%M}" in bar, url
        assert "Chờ gửi 2 sự kiện của 1 hồ sơ, 1 bản quét (0.3 MB)" in bar, url
        assert "từ chối kết nối" in bar and "Lỗi lần gửi cuối" in bar, url
    fragment = clerk.get("/sync/indicator").text
    assert "Mất liên lạc" in fragment and "<aside" not in fragment


def test_online_with_nothing_waiting(clerk):
    _joined()
    set_state("sync:last_contact", legaltime.now().replace(microsecond=0).isoformat())
    bar = clerk.get("/today").text.split('id="sync-badge"')[1].split("</aside>")[0]
    assert "Trực tuyến" in bar and "Không còn gì chờ gửi" in bar and "Lỗi" not in bar
