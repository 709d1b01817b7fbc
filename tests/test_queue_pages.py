"""The queue's pages through Flask's test client, and the display's voice (espeak-ng clips)."""
from __future__ import annotations

import io
import re
import shutil
import wave

import pytest

from tests.test_webui import HTML, csrf_of, login

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed: the display stays silent")


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    from node import voice
    if not voice.has_engine():
        pytest.skip("espeak-ng is not installed: the display stays silent")
    folder = tmp_path_factory.mktemp("voice")
    assert voice.make_clips(folder) == len(voice.WORDS)
    return folder


def test_numbers_are_read_the_vietnamese_way():
    from node.voice import WORDS, call_words, number_words
    said = {n: " ".join(WORDS[w] for w in number_words(n)) for n in (1, 5, 10, 15, 21, 24, 35, 100,
                                                                      105, 110, 999, 1000, 2010)}
    assert said == {1: "một", 5: "năm", 10: "mười", 15: "mười lăm", 21: "hai mươi mốt",
                    24: "hai mươi tư", 35: "ba mươi lăm", 100: "một trăm", 105: "một trăm linh năm",
                    110: "một trăm mười", 999: "chín trăm chín mươi chín", 1000: "một nghìn",
                    2010: "hai nghìn không trăm mười"}
    # every number the display can call, at every desk, has its clips
    for n in range(1, 10000):
        assert set(number_words(n)) <= WORDS.keys()
    for group in ("A", "B", "C", "D"):
        assert set(call_words(group, 1, 20)) <= WORDS.keys()


@needs_espeak
def test_a_call_is_one_wav_of_the_clips(clips):
    from node.voice import call_words, join_call
    data = join_call(clips, call_words("A", 12, 2))
    with wave.open(io.BytesIO(data)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 1.5 < seconds < 10
    assert join_call(clips, ["no_such_word"]) is None


def test_kiosk_ticket_display_and_desk(app, tmp_path):
    client = app.test_client()
    page = client.get("/queue/kiosk")
    assert page.status_code == 200 and "Lấy số thứ tự" in page.text and 'id="group-A"' in page.text
    resp = client.post("/queue/tickets", data={"group": "A", "csrf_token": csrf_of(client, "/queue/kiosk")})
    assert resp.status_code == 302
    ticket = client.get(resp.location)
    assert "A001" in ticket.text and "<svg" in ticket.text and 'data-autoprint="1"' in ticket.text
    assert client.post("/queue/tickets", data={"group": "A"}).status_code == 400    # CSRF
    assert client.get("/queue/desk").status_code == 302                              # login
    state = client.get("/queue/display.json").get_json()
    assert state["next"] == ["A001"] and state["desks"] == [] and state["voice"] is False

    clerk = app.test_client()
    login(clerk)
    csrf = csrf_of(clerk, "/queue/desk")
    clerk.post("/queue/desk/settings", data={"desk": "2", "csrf_token": csrf})
    clerk.post("/queue/desk/next", data={"csrf_token": csrf})
    desk = clerk.get("/queue/desk", headers=HTML)
    assert re.search(r'id="serving">A001<', desk.text)
    state = client.get("/queue/display.json?after=0").get_json()
    assert state["desks"] == [{"desk": 2, "number": "A001"}] and state["calls"][0]["desk"] == 2
    # without clips the call's sound is absent and the display stays silent
    assert client.get(f"/queue/call/{state['calls'][0]['id']}.wav").status_code == 404
    assert "Mời bạn đến quầy số" in client.get(resp.location).text
    follow = clerk.post("/queue/desk/recall", data={"csrf_token": csrf}, follow_redirects=True)
    assert follow.status_code == 200
    assert client.get("/queue/display.json?after=%d" % state["last_call"]).get_json()["calls"] \
        == [{"id": state["last_call"] + 1, "number": "A001", "desk": 2}]
    assert "Không còn ai chờ" in clerk.post("/queue/desk/next", data={"csrf_token": csrf},
                                             follow_redirects=True).text


@needs_espeak
def test_the_display_gets_the_call_read_aloud(app, clips):
    from node import queue
    shutil.copytree(clips, f"{app.config['DATA_DIR']}/voice")
    queue.take_ticket("B", queue.groups_from(None))
    queue.call_next(4, "lan@07024")
    client = app.test_client()
    state = client.get("/queue/display.json").get_json()
    assert state["voice"] is True
    resp = client.get(f"/queue/call/{state['calls'][0]['id']}.wav")
    assert resp.status_code == 200 and resp.mimetype == "audio/wav" and resp.data[:4] == b"RIFF"


def test_rating_on_the_kiosk_has_no_preselected_level_and_counts_once(app):
    from node import queue, reception
    from tests.conftest import dossier_body
    ticket = queue.take_ticket("A", queue.groups_from(None))
    queue.set_desk("lan@07024", 1, [])
    queue.call_next(1, "lan@07024")
    d = reception.receive_dossier(dossier_body(), "lan@07024")
    reception.transition(d.code, 4, "lan@07024")
    reception.transition(d.code, 9, "lan@07024")
    kiosk = app.test_client()
    csrf = csrf_of(kiosk, "/queue/rate")
    bad = kiosk.post("/queue/rate", data={"code": "A001", "s": "XXXX", "csrf_token": csrf})
    assert bad.status_code == 422 and 'id="rate-error"' in bad.text
    asked = kiosk.post("/queue/rate", data={"code": "A001", "s": ticket.secret, "csrf_token": csrf})
    assert asked.status_code == 200 and 'name="rating"' in asked.text and "checked" not in asked.text
    done = kiosk.post("/queue/rate", data={"code": "A001", "s": ticket.secret, "rating": "satisfied",
                                           "csrf_token": csrf})
    assert 'id="rate-done"' in done.text and reception.get_dossier(d.code).rating == "satisfied"
    again = kiosk.post("/queue/rate", data={"code": d.code, "s": d.lookup_secret,
                                            "rating": "not_satisfied", "csrf_token": csrf})
    assert again.status_code == 422 and "một lần" in again.text
    assert reception.get_dossier(d.code).rating == "satisfied"


@needs_espeak
def test_node_init_makes_the_voice_clips(tmp_path):
    from pathlib import Path

    from node import voice
    from tests.test_node_cli import run
    out = run("node", "init", "--data-dir", str(tmp_path), "--unit-code", "07024", "--name", "Quan Lạn")
    assert "Giọng đọc gọi số" in out.output
    assert {p.stem for p in Path(tmp_path, "voice").glob("*.wav")} == set(voice.WORDS)


def _kiosk_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_kiosk_hammering_the_button_is_held_with_a_vietnamese_reason(app):
    """One kiosk (address) issues at most TICKET_KIOSK_MAX numbers a window; then it waits, with the
    reason on the kiosk page; another kiosk still issues; numbers are not used up by the refusals."""
    app.config.update(TICKET_KIOSK_MAX=3, TICKET_ALL_MAX=5, TICKET_WINDOW_SECONDS=60)
    kiosk = app.test_client()
    csrf = csrf_of(kiosk, "/queue/kiosk")
    statuses = [kiosk.post("/queue/tickets", data={"group": "A", "csrf_token": csrf}).status_code
                for _ in range(6)]
    assert statuses == [302, 302, 302, 429, 429, 429]
    held = kiosk.post("/queue/tickets", data={"group": "B", "csrf_token": csrf})
    assert held.status_code == 429
    assert "vừa phát nhiều số liên tiếp" in held.text and "giây" in held.text
    assert 'id="group-A"' in held.text                   # the kiosk page, not an error page
    state = kiosk.get("/queue/display.json").get_json()
    assert state["next"] == ["A001", "A002", "A003"]    # refusals took no number

    other = _kiosk_at(app, "10.0.0.9")
    csrf2 = csrf_of(other, "/queue/kiosk")
    assert other.post("/queue/tickets", data={"group": "B", "csrf_token": csrf2}).status_code == 302
    assert other.post("/queue/tickets", data={"group": "B", "csrf_token": csrf2}).status_code == 302
    # all kiosks together: the overall ceiling (5) holds every kiosk
    third = _kiosk_at(app, "10.0.0.10")
    flood = third.post("/queue/tickets", data={"group": "C", "csrf_token": csrf_of(third, "/queue/kiosk")})
    assert flood.status_code == 429 and "quá nhiều số cùng lúc" in flood.text
    assert kiosk.get("/queue/display.json").get_json()["next"] == ["A001", "A002", "A003", "B001", "B002"]


def test_the_hold_lifts_after_the_window_and_survives_a_restart(app):
    """The counts are rows of the throttle table: a new app on the same data dir still holds the
    kiosk; after the window the kiosk issues again."""
    from datetime import timedelta

    from motcua import legaltime
    from motcua.errors import TooManyAttempts
    from node import queue
    groups, limit = queue.groups_from(None), queue.KioskLimit(per_kiosk=2, overall=100, window_seconds=30)
    t0 = legaltime.now()
    for i in range(2):
        queue.take_ticket("A", groups, kiosk="10.0.0.5", limit=limit, now=t0 + timedelta(seconds=i))
    with pytest.raises(TooManyAttempts) as exc:
        queue.take_ticket("A", groups, kiosk="10.0.0.5", limit=limit, now=t0 + timedelta(seconds=5))
    assert exc.value.status == 429 and "27 giây" in exc.value.message_vi
    from motcua.apps import create_node_app
    create_node_app({"DATA_DIR": app.config["DATA_DIR"], "TESTING": True})
    with pytest.raises(TooManyAttempts):
        queue.take_ticket("A", groups, kiosk="10.0.0.5", limit=limit, now=t0 + timedelta(seconds=20))
    assert queue.label(queue.take_ticket("A", groups, kiosk="10.0.0.5", limit=limit,
                                         now=t0 + timedelta(seconds=32))) == "A003"


class FakePrinter:
    """A network receipt printer on loopback: accepts connections and keeps every byte sent."""

    def __init__(self):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
                self.jobs.append(data)

    def close(self):
        import socket
        try:
            self.sock.shutdown(socket.SHUT_RDWR)        # wakes the accept() and closes the port
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def test_a_ticket_prints_on_an_escpos_network_printer(app, caplog):
    pytest.importorskip("escpos")
    import time
    printer = FakePrinter()
    try:
        app.config["TICKET_PRINTER"] = f"tcp://127.0.0.1:{printer.port}"
        kiosk = app.test_client()
        resp = kiosk.post("/queue/tickets", data={"group": "B", "csrf_token": csrf_of(kiosk, "/queue/kiosk")})
        assert resp.status_code == 302 and "printed=1" in resp.location
        page = kiosk.get(resp.location)
        assert 'id="printed"' in page.text and 'data-autoprint' not in page.text   # no browser print
        deadline = time.monotonic() + 5
        while not printer.jobs and time.monotonic() < deadline:
            time.sleep(0.02)
        (job,) = printer.jobs
        uid = resp.location.split("/t/")[1].split("?")[0]
        assert job.startswith(b"\x1b") and b"B001\n" in job and b"Quan Lan" in job and b"Chung thuc" in job
        assert b"\x1d(k" in job and f"/queue/t/{uid}".encode() in job          # the printer's own QR
        assert job.endswith(b"\x1dV\x00")                                     # cut
        assert all(b < 0x80 for b in job)               # no Vietnamese marks sent to the printer
    finally:
        printer.close()

    # the printer is gone: the number is still issued, the kiosk says so, the log says why
    app.config["TICKET_PRINTER"] = f"tcp://127.0.0.1:{printer.port}"
    resp = kiosk.post("/queue/tickets", data={"group": "B", "csrf_token": csrf_of(kiosk, "/queue/kiosk")})
    assert resp.status_code == 302 and "printed=0" in resp.location
    page = kiosk.get(resp.location)
    assert 'id="printer-down"' in page.text and "B002" in page.text
    assert "not printed" in caplog.text


def test_a_ticket_prints_to_a_device_file_and_a_bad_setting_is_a_logged_refusal(tmp_path, caplog):
    pytest.importorskip("escpos")
    from node.ticketprint import PrintedTicket, print_ticket
    t = PrintedTicket(unit="UBND xã Quan Lạn", label="D012", group="Đất đai", issued="08:15 02/03/2026",
                      ahead=3, secret="AB2C", url="http://10.0.0.2:8600/queue/t/x")
    device = tmp_path / "lp0"
    device.touch()
    assert print_ticket(f"file:{device}", t) is True
    job = device.read_bytes()
    assert b"D012\n" in job and b"UBND xa Quan Lan" in job and b"Dat dai" in job and b"AB2C" in job
    assert print_ticket("lpt1", t) is False and "not printed" in caplog.text
