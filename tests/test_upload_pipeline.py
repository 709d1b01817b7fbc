"""Two uploads in flight: the link carries the next scan chunk while the center takes in the last.

`sync.carrier.Pipeline` on its own (threads, order, failures), the center joining chunks of one
scan that arrive side by side, and a real round over HTTP through the chaos proxy with latency.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from motcua import legaltime
from sync.carrier import NotCarried, Pipeline
from tests.sync_env import (  # noqa: F401  (fixtures)
    add_dossiers,
    center,
    closing_node_db,
    make_node,
    proxy_to,
    sync_until_clean,
)


def test_two_puts_run_at_once_and_outcomes_come_back_in_order():
    both_on_the_way = threading.Barrier(2, timeout=5)     # breaks unless two puts overlap
    threads = set()

    def put(data: bytes) -> bytes:
        threads.add(threading.get_ident())
        both_on_the_way.wait()
        time.sleep(0.05 if data == b"1" else 0)           # the first one finishes last
        if data == b"3":
            raise NotCarried("no room")
        return b"receipt " + data

    outcomes = []
    with Pipeline([put, put]) as pipe:
        for n in (b"1", b"2", b"3", b"4"):
            outcomes += pipe.put(n, n)
        outcomes += pipe.drain()
    assert [tag for tag, _ in outcomes] == [b"1", b"2", b"3", b"4"]
    assert outcomes[0][1].result() == b"receipt 1" and outcomes[3][1].result() == b"receipt 4"
    with pytest.raises(NotCarried):
        outcomes[2][1].result()
    assert len(threads) == 2 and threading.get_ident() not in threads


def test_one_slot_puts_at_once_in_the_callers_thread():
    seen = []
    with Pipeline([lambda data: seen.append(threading.get_ident()) or data]) as pipe:
        done = pipe.put(b"x", "tag")
        assert seen == [threading.get_ident()] and done[0][1].result() == b"x"
        assert pipe.drain() == []


def test_closing_cancels_what_has_not_started_and_waits_for_what_has():
    started, release, finished = threading.Event(), threading.Event(), []

    def put(data: bytes) -> bytes:
        started.set()
        release.wait(5)
        finished.append(data)
        return data

    abandoned = threading.Event()
    pipe = Pipeline([put, put], on_abandon=abandoned.set)
    pipe.put(b"a", 1)
    started.wait(5)
    threading.Timer(0.2, release.set).start()
    pipe.close()                  # returns only once the upload on its way has ended
    assert finished == [b"a"]
    assert abandoned.is_set()     # the round ended early: what is on its way retries no more
    drained = Pipeline([put, put], on_abandon=lambda: pytest.fail("nothing was left"))
    drained.put(b"b", 2)
    drained.drain()
    drained.close()


def test_chunks_of_one_scan_arriving_side_by_side_join_once(tmp_path):
    """Chunks handed to the center by several threads at once (a point's two uploads in flight,
    or several center processes): the scan is joined, whole, whatever the interleaving; no chunk
    meets a folder another request has just cleared (that used to answer `internal_error`)."""
    from central.blobstore import CenterBlobs
    from central.db import close_database, open_database
    from motcua.objectstore import FolderStore
    open_database(tmp_path / "center")
    try:
        for round_ in range(100):
            blobs = CenterBlobs(FolderStore(tmp_path / f"store{round_}"))
            scan = os.urandom(8 * 4096)
            sha = hashlib.sha256(scan).hexdigest()
            errors, joined = [], []
            gate = threading.Barrier(8, timeout=5)

            def add(offset: int) -> None:
                gate.wait()
                try:
                    joined.append(blobs.add_chunk(sha, len(scan), offset,
                                                  scan[offset:offset + 4096],
                                                  now=legaltime.now(), sender="07024"))
                except Exception as exc:           # noqa: BLE001 - the test reports it
                    errors.append(repr(exc))
            workers = [threading.Thread(target=add, args=(off,))
                       for off in range(0, len(scan), 4096)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            assert not errors, errors
            assert any(joined) and blobs.has(sha)
            assert blobs.read(sha) == scan
            assert not list(blobs.store.list(f"blobs/partial/{sha}/"))
    finally:
        close_database()


@pytest.mark.slow
def test_a_round_keeps_two_uploads_in_flight_over_a_slow_link(center, tmp_path, closing_node_db):
    """With 200 ms each way, one chunk at a time costs a round trip per chunk; with two in flight
    the same round takes far less (measured against one point sending one at a time, on the same
    center and link, so a loaded machine slows both), and every scan arrives byte for byte."""
    from node.db import close_database
    from node.models import Blob
    from node.rounds import http_carrier, sync_round
    from tests.sync_env import FAST_RETRY
    proxy = proxy_to(center, latency_ms=200)
    took = {}
    try:
        for unit, depth in (("07024", 1), ("07025", 2)):
            node = make_node(tmp_path, unit, "Điểm thử", f"http://127.0.0.1:{proxy.listen_port}",
                             center.token(unit))
            add_dossiers(node, 16, scan_bytes=20_000)
            carrier = http_carrier(node, policy=FAST_RETRY)
            carrier.depth = depth
            start = time.monotonic()
            report = sync_round(node, carrier=carrier)
            took[depth] = time.monotonic() - start
            carrier.close()
            assert report.clean, report.error
            assert report.counts.get("chunks") == 16
            for blob in Blob.select():
                assert blob.at_center
                assert (center.dir / "blobs" / blob.sha256[:2] / blob.sha256).read_bytes() == \
                    (Path(node) / "scans" / blob.sha256[:2] / blob.sha256).read_bytes()
            close_database()
    finally:
        proxy.stop()
    print(f"16 chunks, 400 ms round trip: one at a time {took[1]:.2f} s, two in flight "
          f"{took[2]:.2f} s")
    assert took[2] < 0.8 * took[1], took


def test_an_offset_asked_during_a_create_answers_where_its_body_ends(tmp_path, request):
    """A create and its first bytes are one step under the upload's lock: an offset query (or a
    second create) that comes while the body is still being read waits for it, and never answers
    0 for bytes that are arriving (the point would send them again)."""
    from central.db import close_database, open_database
    from central.uploads import UploadStore
    from motcua.objectstore import FolderStore
    open_database(tmp_path / "center")
    request.addfinalizer(close_database)
    store = UploadStore(FolderStore(tmp_path / "center"))
    data = os.urandom(200_000)
    pieces = [hashlib.sha256(data[i:i + 65536]).hexdigest() for i in range(0, len(data), 65536)]
    sha = hashlib.sha256(data).hexdigest()
    reading = threading.Event()

    class Slow:
        """The request body, trickling in."""
        def __init__(self):
            self.pos = 0

        def read(self, n):
            reading.set()
            time.sleep(0.01)
            block = data[self.pos:self.pos + min(n, 20_000)]
            self.pos += len(block)
            return block
    first = threading.Thread(target=store.create, args=("07024", sha, len(data), 65536, pieces),
                             kwargs={"body": lambda: (Slow(), 150_000)})
    first.start()
    reading.wait(5)
    assert store.status("07024", sha, wait=True)[0] == 150_000
    assert store.create("07024", sha, len(data), 65536, pieces) == 150_000
    first.join()
