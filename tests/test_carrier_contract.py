"""One contract for every carrier (`sync.carrier`): HTTP over a real socket, the in-process center,
and a USB folder, each driven by the same `node.rounds.run_round` against the same center app.

The center runs in this process (its Flask app; for "http" also served by cheroot on 127.0.0.1),
the point too (its database bound here). The center's database is SQLite, and PostgreSQL once more
for the in-process carrier (a carrier only moves bytes; the center's side is what differs). A
folder is asynchronous: what the point puts reaches the center at the center's turn
(`central.ferry.import_from`), and the receipts come back on the next trip; `Link.sync` makes trips
until nothing waits on either side.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from central_fixtures import pg_cluster  # noqa: F401  (fixture)
from pg import missing_reason

from motcua import legaltime
from sync.parcel import ParcelRefused, peek_header
from sync.transport import HttpTransport, RetryPolicy, TransportError
from tests.conftest import dossier_body

UNIT = "07024"
QUICK = RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05, connect_timeout_s=3, read_timeout_s=15)


class Link:
    """A point and its center, joined by one kind of carrier."""

    def __init__(self, kind: str, root: Path, database_url: str | None = None):
        from central import create_app
        from central.enrollment import issue_enroll_token
        from node.enroll import enroll
        from node.setup import init_node
        from sync.carrier import IN_PROCESS_URL, in_process_session
        self.kind, self.root = kind, root
        self.center_dir, self.node, self.stick = root / "center", root / "node", root / "usb"
        self.app = create_app({"DATA_DIR": str(self.center_dir), "DATABASE_URL": database_url,
                               "TESTING": True})
        self.server = None
        if kind == "http":
            from cheroot import wsgi
            self.server = wsgi.Server(("127.0.0.1", 0), self.app, numthreads=4)
            self.server.prepare()
            threading.Thread(target=self.server.serve, daemon=True).start()
            url, session = f"http://127.0.0.1:{self.server.bind_addr[1]}", None
        else:
            url, session = IN_PROCESS_URL, in_process_session(self.app)
        init_node(self.node, UNIT, "Quan Lạn")
        token = issue_enroll_token(UNIT, "Quan Lạn", ttl=timedelta(hours=1), now=legaltime.now())
        enroll(self.node, url, token, session=session)
        self.url = url

    @property
    def live(self) -> bool:
        return self.kind != "folder"

    def close(self) -> None:
        from central.db import close_database as close_center
        from node.db import close_database as close_node
        if self.server is not None:
            self.server.stop()
        close_node()
        close_center()

    def carrier(self):
        """A fresh carrier of this link's kind, with the point's keys in use."""
        from node.enroll import node_identity, pinned_center_keys
        from sync.carrier import HttpCarrier, InProcessCarrier
        from sync.stickcarrier import FolderCarrier
        identity, center = node_identity(self.node), pinned_center_keys()
        if self.kind == "http":
            return HttpCarrier(HttpTransport(self.url, node_id=UNIT, identity=identity,
                                             center_sign_pub=center.sign_pub, policy=QUICK))
        if self.kind == "in_process":
            return InProcessCarrier(self.app, node_id=UNIT, identity=identity,
                                    center_sign_pub=center.sign_pub, policy=QUICK)
        return FolderCarrier(self.stick, UNIT, identity)

    def round(self, carrier=None):
        """One round of the point over `carrier` (default: a fresh one), both ways."""
        from node.rounds import run_round
        return run_round(self.node, carrier or self.carrier(), chunk_bytes=64 * 1024)

    def center_turn(self) -> None:
        """The stick at the center: ingest, receipts and down parcels written back."""
        if not self.live:
            from central import ferry
            report = ferry.import_from(self.center_dir, self.stick)
            assert not [r for r in report.refused if r[1] != "unauthorized"], report.lines()

    def trip(self, carrier=None):
        report = self.round(carrier)
        self.center_turn()
        return report

    def sync(self, trips: int = 4, wrap=None) -> list:
        """Trips until nothing waits at the point and the center owes it nothing (each carrier
        wrapped by `wrap`, when given)."""
        reports = []
        for _ in range(trips):
            reports.append(self.trip(wrap(self.carrier()) if wrap else None))
            if self.settled():
                return reports
        raise AssertionError(f"not settled after {trips} trips: {[r.lines() for r in reports]}")

    def settled(self) -> bool:
        from central.models import Outbound
        from node.journal import pending_count
        from node.models import Blob
        return (pending_count() == 0 and not Blob.select().where(~Blob.at_center).exists()
                and not Outbound.select().where(Outbound.acked_at.is_null()).exists())

    def receive(self, count: int = 1, scan_bytes: int = 0) -> list[str]:
        """The clerk receives `count` dossiers (each with one scan when `scan_bytes`)."""
        from node import reception
        from node.scans import BlobStore
        store = BlobStore(self.node / "scans")
        codes = []
        for _ in range(count):
            d = reception.receive_dossier(dossier_body(), "lan@test")
            if scan_bytes:
                reception.attach_scan(d.code, b"\x89PNG\r\n\x1a\n" + os.urandom(scan_bytes),
                                      "1.001193-d1", "lan@test", store, max_bytes=8 * 1024 * 1024)
            codes.append(d.code)
        return codes

    def put_again(self, parcels: list[bytes]) -> list:
        """Carry parcels the center already has once more (an old stick, a resent request)."""
        from sync.carrier import TripReport
        carrier, report = self.carrier(), TripReport()
        carrier.open(report, up=True, down=False)
        answers = [carrier.put_parcel(p) for p in parcels]
        carrier.finish(report)
        self.center_turn()
        return answers

    # -- what each side holds ------------------------------------------------------------------------

    def center_events(self) -> list[str]:
        from central.models import Event
        return sorted(e.event_id for e in Event.select().where(Event.origin == UNIT))

    def center_blobs(self) -> set[str]:
        from central.models import Blob
        return {b.sha256 for b in Blob.select()}

    def node_events(self) -> list[str]:
        from node.models import Event
        return sorted(e.event_id for e in Event.select().where(Event.origin == UNIT))


@pytest.fixture(params=["http", "in_process", "folder",
                        pytest.param("in_process-postgres", marks=pytest.mark.postgres)])
def link(request, tmp_path, pg_cluster):  # noqa: F811
    kind, _, backend = request.param.partition("-")
    url = None
    if backend:
        if pg_cluster is None:
            pytest.skip(missing_reason())
        url = pg_cluster.create_database()
    link = Link(kind, tmp_path, url)
    yield link
    link.close()


class Spy:
    """A carrier that notes every parcel put and taken, then lets the real one do it."""

    def __init__(self, inner, on_put=None):
        self.inner, self.on_put = inner, on_put
        self.put, self.receipts, self.down = [], [], []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def pipeline(self):
        """Scan chunks through this spy too (one at a time, so the order it notes is the order)."""
        from sync.carrier import Pipeline
        return Pipeline([self.put_parcel])

    def put_parcel(self, data):
        receipt = self.inner.put_parcel(data)
        self.put.append(data)
        if receipt is not None:
            self.receipts.append(receipt)
        if self.on_put:
            self.on_put(data)
        return receipt

    def take_receipts(self):
        for sha, raw in self.inner.take_receipts():
            self.receipts.append(raw)
            yield sha, raw

    def take_down(self):
        for data in self.inner.take_down():
            self.down.append(data)
            yield data


def kinds(parcels: list[bytes]) -> list[str]:
    return [peek_header(p).kind for p in parcels]


# -- the contract ---------------------------------------------------------------------------------

def test_records_go_before_scans_and_new_records_jump_ahead(link):
    link.receive(2, scan_bytes=3000)
    clerk_busy = []

    def clerk_receives_one_more(data):          # while the first scan is on its way
        if peek_header(data).kind == "blob-chunk" and not clerk_busy:
            clerk_busy.extend(link.receive(1))
    spy = Spy(link.carrier(), on_put=clerk_receives_one_more)
    link.trip(spy)
    assert kinds(spy.put) == ["events", "blob-chunk", "events", "blob-chunk"]
    link.sync()
    assert link.center_events() == link.node_events() and len(link.node_events()) == 5
    assert len(link.center_blobs()) == 2


def test_a_receipt_acknowledges_exactly_its_parcel(link):
    from central.models import SeenParcel
    from node.journal import pending_count
    from sync.outbox import Spool
    link.receive(1)
    link.sync()
    first_receipt = bytes(SeenParcel.get(SeenParcel.sender == UNIT, SeenParcel.seq == 1).receipt)
    link.receive(1)
    if not link.live:
        link.trip()                 # the parcel goes to the center; its receipt is on the stick

    class Lying(Spy):
        """Answers every parcel with the first parcel's receipt."""
        def put_parcel(self, data):
            return first_receipt if self.inner.put_parcel(data) is not None else None

        def take_receipts(self):
            for sha, _ in self.inner.take_receipts():
                yield sha, first_receipt

    with contextlib.suppress(ParcelRefused):
        report = link.round(Lying(link.carrier()))
        assert any(code == "receipt_mismatch" for _, code, _ in report.refused), report.lines()
    assert pending_count() == 1 and len(Spool(link.node / "outbox").waiting()) == 1
    link.sync()
    assert pending_count() == 0 and link.center_events() == link.node_events()


def test_a_parcel_refused_for_what_it_carries_is_dropped_and_reported(link):
    from node.facts import get_state
    from node.journal import pending_count
    from node.models import Event
    from sync.events import new_event_id
    # A point may not push rules: the center refuses the parcel `unauthorized` (a final refusal).
    Event.create(event_id=new_event_id(), kind="holidays.updated", dossier_uid=None, origin=UNIT,
                 actor="lan@test", hlc=f"{1_780_000_000_000:015d}-00000",
                 payload={"version": "giả", "days": ["2026-12-01"]}, recorded_at=legaltime.now())
    reports = link.sync()
    assert pending_count() == 0                                    # dropped, not sent for ever
    assert "unauthorized" in (get_state("sync:up_refused") or "")
    assert any(r.error and "từ chối gói số" in r.error for r in reports), \
        [r.lines() for r in reports]
    link.receive(1)                                                     # the chain moves on past it
    link.sync()
    assert link.center_events() == sorted(set(link.node_events()) - {
        e.event_id for e in Event.select().where(Event.kind == "holidays.updated")})


def test_a_down_parcel_the_point_refuses_does_not_stop_the_round(link):
    from central import outbound
    from central.apply import record_center_event
    from central.dossiers import transition
    from central.keys import center_identity
    from node import reception
    from node.facts import get_state
    code = link.receive(1)[0]
    link.sync()
    uid = reception.get_dossier(code).uid
    record_center_event("dossier.corrected", uid, "hoa@central",    # a poison pill, as an older
                        {"fields": {"applicant.full_name": {"an": "object"}}})   # center let by
    assert outbound.next_parcel(UNIT, center_identity(link.center_dir)) is not None
    transition(code, 4, "hoa")                   # a good decision, in the next down parcel
    link.receive(1, scan_bytes=3000)                  # and records and a scan wait at the point
    reports = link.sync()
    poisoned = [r for r in reports if any(code == "bad_payload" for _, code, _ in r.refused)]
    assert poisoned, [r.lines() for r in reports]
    # in that very round: the next down parcel was applied, and (when this trip sends) the scan went
    assert poisoned[0].counts.get("down_applied") == 1, poisoned[0].counts
    assert poisoned[0].counts.get("chunks") == 1 or not link.live, poisoned[0].counts
    assert get_state("sync:down_refused")                           # what the clerk's page shows
    assert reception.get_dossier(code).status == 4                 # the good one came after it
    assert reception.get_dossier(code).applicant["full_name"] == "Nguyễn Văn An"
    assert len(link.center_blobs()) == 1 and link.center_events() == link.node_events()


def test_duplicates_are_harmless(link):
    from central.dossiers import transition
    from central.models import Event as CenterEvent
    from node import reception
    from node.models import Event
    code = link.receive(1, scan_bytes=3000)[0]
    link.sync()
    transition(code, 4, "hoa")
    link.receive(1)
    sent, came = [], []

    def spying(carrier):
        spy = Spy(carrier)
        spy.put, spy.down = sent, came
        return spy
    link.sync(wrap=spying)
    assert kinds(sent) == ["events"] and len(came) == 1
    before = (CenterEvent.select().count(), Event.select().count(), link.center_blobs(),
              reception.get_dossier(code).status)

    class Replay(Spy):
        """An old stick, a retried request: every parcel again, both ways."""
        def take_down(self):
            yield from came
            yield from self.inner.take_down()

    answers = link.put_again(sent)
    reports = [link.round(Replay(link.carrier()))] + link.sync()
    if link.live:
        # the stored receipt again ("applied") or a new "duplicate": either lets the parcel go
        assert {json.loads(a)["receipt"]["result"] for a in answers} <= {"applied", "duplicate"}
    else:
        assert any(r.counts.get("stale_receipts") for r in reports), [r.lines() for r in reports]
    assert reports[0].counts.get("down_duplicate", 0) == len(came)
    assert (CenterEvent.select().count(), Event.select().count(), link.center_blobs(),
            reception.get_dossier(code).status) == before


@pytest.mark.parametrize("cut_after", [1, 2])
def test_an_interrupted_round_loses_nothing(link, cut_after):
    from central.dossiers import transition
    from node import reception
    from node.models import Blob
    codes = link.receive(2, scan_bytes=100_000)                 # two chunks each
    link.sync()
    transition(codes[0], 4, "hoa")
    link.receive(2, scan_bytes=100_000)

    class Cut(Spy):
        """The link (or the stick) goes after `cut_after` parcels: the last one arrived, the
        point never heard."""
        def put_parcel(self, data):
            receipt = self.inner.put_parcel(data)
            self.put.append(data)
            if len(self.put) >= cut_after:
                raise TransportError("mất kết nối")
            return receipt

    with pytest.raises(TransportError):
        link.round(Cut(link.carrier()))
    link.center_turn()
    link.sync()
    assert link.center_events() == link.node_events() and len(link.node_events()) == 8
    assert link.center_blobs() == {b.sha256 for b in Blob.select()} and len(link.center_blobs()) == 4
    assert reception.get_dossier(codes[0]).status == 4


def test_a_lost_trip_loses_nothing(link):
    """What never reached the center (a link that drops every request, a stick lost on the way)
    goes again: nothing is taken as delivered without its receipt."""
    import shutil

    from node.models import Blob
    link.receive(2, scan_bytes=100_000)

    class Dropping(Spy):
        def put_parcel(self, data):
            raise TransportError("mất kết nối")

    if link.live:
        with pytest.raises(TransportError):
            link.round(Dropping(link.carrier()))
    else:
        report = link.round()
        assert report.counts["parcels"] == 1 and report.counts["chunks"] == 4
        shutil.rmtree(link.stick)
    link.sync()
    assert link.center_events() == link.node_events() and len(link.node_events()) == 4
    assert link.center_blobs() == {b.sha256 for b in Blob.select()} and len(link.center_blobs()) == 2


def test_a_restored_point_learns_where_the_center_stands_before_anything_goes(link):
    """After a restore (`node.backup`) the round first asks the carrier where the center stands:
    a live one answers and the chain goes on after the center's last parcel; on a stick the
    question goes one trip (nothing else goes with it) and the answer comes back on the next."""
    import shutil

    from motcua.errors import Conflict
    from node.backup import STANDING_KEY, needs_standing
    from node.facts import set_state
    link.receive(2)
    link.sync()
    shutil.rmtree(link.node / "outbox")          # what an old backup knows: no spool, the mark
    set_state(STANDING_KEY, "2026-01-05T08:00:00")
    link.receive(1)
    if not link.live:
        from node.ferry import import_from
        with pytest.raises(Conflict) as refused:        # taking only: no answer on the stick yet
            import_from(link.node, link.stick)
        assert refused.value.code == "needs_standing" and needs_standing()
        report = link.trip()
        assert needs_standing() and not report.counts.get("parcels"), report.lines()
        assert (link.stick / "motcua" / UNIT / "up" / "standing-request.json").exists()
        assert (link.stick / "motcua" / UNIT / "down" / "standing.json").exists()
    report = link.round()
    assert not needs_standing() and not report.refused, report.lines()
    link.sync()
    assert link.center_events() == link.node_events() and len(link.node_events()) == 3
