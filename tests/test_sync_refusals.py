"""Every refusal class, over real HTTP through the chaos proxy: refused with its logged reason,
nothing applied, and the sender's next good parcel still goes through."""
from __future__ import annotations

import base64
import itertools
import time
import uuid

import pytest
import requests
from central_fixtures import received

from sync import crypto
from sync.hlc import Stamp
from sync.parcel import ParcelHeader, build_parcel, canonical_json, seal_parcel
from sync.receipt import verify_receipt
from sync.transport import HttpTransport, TransportError
from tests.sync_env import FAST_RETRY, Center, proxy_to

pytestmark = pytest.mark.slow
_units = (f"R{n:02d}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def link(tmp_path_factory):
    center = Center(tmp_path_factory.mktemp("refusals")).start()
    proxy = proxy_to(center, latency_ms=5, cut_every_bytes=48 * 1024)
    yield center, f"http://127.0.0.1:{proxy.listen_port}"
    proxy.stop()
    center.stop()


class Sender:
    """A freshly enrolled point (keys made here) that builds parcels by hand."""

    def __init__(self, center: Center, url: str, enroll: bool = True):
        self.center, self.unit = center, next(_units)
        self.identity = crypto.generate_identity()
        self.center_keys = center.identity().public_keys()
        self.transport = HttpTransport(url, policy=FAST_RETRY, node_id=self.unit,
                                       identity=self.identity,
                                       center_sign_pub=self.center_keys.sign_pub)
        self.seq, self.prev = 0, ""
        if enroll:
            token = center.token(self.unit)
            keys = self.identity.public_keys()
            r = requests.post(f"{url}/sync/v1/enroll", timeout=10, json={
                "token": token, "unit_code": self.unit, "public_keys": keys.to_dict(),
                "signature": base64.b64encode(crypto.sign(token.encode(), self.identity,
                                                          purpose="enrollment")).decode()})
            assert r.status_code == 201, r.text

    def events(self, n: int = 2):
        return [received(uuid.uuid4().hex, origin=self.unit,
                         hlc=str(Stamp(int(time.time() * 1000), i))) for i in range(n)]

    def parcel(self, body=None, *, seq=None, prev=None, recipient="central", enc_pub=None,
               identity=None, kind="events", advance=True) -> bytes:
        seq = self.seq + 1 if seq is None else seq
        prev = self.prev if prev is None else prev
        data = build_parcel(self.unit, identity or self.identity, recipient,
                            enc_pub or self.center_keys.enc_pub, seq, prev,
                            str(Stamp(int(time.time() * 1000), 0)), kind,
                            self.events() if body is None else body)
        if advance:
            self.seq, self.prev = seq, crypto.sha256_hex(data)
        return data

    def send(self, data: bytes) -> dict:
        receipt = self.transport.upload_parcel(data)
        return verify_receipt(receipt, self.center_keys.sign_pub, crypto.sha256_hex(data))

    def applied_events(self) -> int:
        from central.models import Event
        with self.center.db():
            return Event.select().where(Event.origin == self.unit).count()

    def refusals(self, reason: str, sender: str | None = "") -> int:
        from central.models import Refusal
        sender = self.unit if sender == "" else sender
        with self.center.db():
            query = Refusal.select().where(Refusal.reason_code == reason)
            query = query.where(Refusal.sender == sender) if sender else query
            return query.count()

    def expect_refused(self, data: bytes, reason: str, *, sender: str | None = "") -> None:
        before_events, before_log = self.applied_events(), self.refusals(reason, sender)
        body = self.send(data)
        assert (body["result"], body["reason"]) == ("refused", reason)
        assert self.applied_events() == before_events           # nothing applied
        assert self.refusals(reason, sender) == before_log + 1  # logged with its reason

    def expect_good_parcel_goes_through(self) -> None:
        before = self.applied_events()
        assert self.send(self.parcel())["result"] == "applied"
        assert self.applied_events() == before + 2


def _rewind(sender: Sender) -> None:
    """Forget the refused parcel, as its sender would: the next good one reuses its seq."""
    sender.seq -= 1
    from central.models import Point
    with sender.center.db():
        sender.prev = Point.get(Point.unit_code == sender.unit).last_hash_in or ""


def test_unknown_sender(link):
    """Over HTTP a stranger cannot even open an upload (every upload call is signed by an
    enrolled point); `unknown_sender` itself is refused by ingest (tests/test_parcel.py, USB)."""
    stranger = Sender(*link, enroll=False)
    with pytest.raises(TransportError, match="chữ ký"):
        stranger.send(stranger.parcel())
    assert stranger.applied_events() == 0


def test_revoked_sender(link):
    center, url = link
    s = Sender(center, url)
    s.expect_good_parcel_goes_through()
    from central.points import revoke_point
    with center.db():
        revoke_point(s.unit)
    with pytest.raises(TransportError, match="chữ ký"):     # its uploads are refused at the door
        s.send(s.parcel())
    good = Sender(center, url)             # other points are unaffected
    good.expect_good_parcel_goes_through()


def test_bad_signature(link):
    s = Sender(*link)
    s.expect_refused(s.parcel(identity=crypto.generate_identity()), "bad_signature")
    _rewind(s)
    s.expect_good_parcel_goes_through()


def test_wrong_recipient(link):
    s = Sender(*link)
    s.expect_refused(s.parcel(recipient="07006"), "wrong_recipient")
    _rewind(s)
    s.expect_good_parcel_goes_through()


@pytest.mark.parametrize("where", ["header", "ciphertext", "signature"])
def test_bit_flip_anywhere(link, where):
    s = Sender(*link)
    data = bytearray(s.parcel())
    at = {"header": 30, "ciphertext": len(data) // 2, "signature": len(data) - 5}[where]
    data[at] ^= 0x04
    # a flip inside the header that keeps it canonical JSON is caught by the signature too
    s.expect_refused(bytes(data), "bad_signature", sender=None)
    _rewind(s)
    s.expect_good_parcel_goes_through()


def test_truncated(link):
    s = Sender(*link)
    s.expect_refused(s.parcel()[:-100], "truncated", sender=None)
    _rewind(s)
    s.expect_good_parcel_goes_through()


def test_replayed_sequence(link):
    s = Sender(*link)
    s.expect_good_parcel_goes_through()
    s.expect_good_parcel_goes_through()
    # a different parcel reusing seq 1 (a node restored from an old backup, or a forgery)
    s.expect_refused(s.parcel(seq=1, prev="", advance=False), "replayed")
    s.expect_good_parcel_goes_through()


def test_rolled_back_chain(link):
    s = Sender(*link)
    s.expect_good_parcel_goes_through()
    s.expect_refused(s.parcel(prev="ab" * 32, advance=False), "chain_broken")
    s.expect_good_parcel_goes_through()


def test_malformed_plaintext(link):
    s = Sender(*link)
    content = canonical_json({"not": "a list of events"})
    header = ParcelHeader(s.unit, "central", s.seq + 1, s.prev, str(Stamp(1, 0)), "events",
                          crypto.sha256_hex(content), len(content))
    data = seal_parcel(header, content, s.identity, s.center_keys.enc_pub)
    s.expect_refused(data, "malformed_plaintext")
    # refused for what it carries, it still took its place in the chain (sync.receipt.FINAL_REFUSALS)
    s.seq, s.prev = s.seq + 1, crypto.sha256_hex(data)
    s.expect_good_parcel_goes_through()


def test_events_in_the_name_of_another_point(link):
    s = Sender(*link)
    forged = [received(uuid.uuid4().hex, origin="07006")]
    s.expect_refused(s.parcel(forged), "unauthorized")     # the chain moves on past it
    s.expect_good_parcel_goes_through()


def test_not_encrypted_to_the_center(link):
    s = Sender(*link)
    s.expect_refused(s.parcel(enc_pub=crypto.generate_identity().public_keys().enc_pub),
                     "decrypt_failed")
    _rewind(s)
    s.expect_good_parcel_goes_through()


def test_not_a_parcel(link):
    s = Sender(*link)
    s.expect_refused(b"GIF89a" + bytes(200), "bad_magic", sender=None)
    s.expect_good_parcel_goes_through()


def test_same_parcel_twice_is_a_no_op_with_the_same_receipt(link):
    s = Sender(*link)
    data = s.parcel()
    first = s.transport.upload_parcel(data)
    again = s.transport.upload_parcel(data)
    assert first == again
    assert s.applied_events() == 2


def test_gap_is_held_then_applied_when_filled(link):
    s = Sender(*link)
    one = s.parcel()
    two = s.parcel()
    assert s.send(two)["result"] == "held"
    assert s.applied_events() == 0
    assert s.send(one)["result"] == "applied"
    assert s.applied_events() == 4                  # the held parcel followed at once
    assert s.send(two)["result"] == "applied"      # the same receipt as when it was applied
    assert s.applied_events() == 4
