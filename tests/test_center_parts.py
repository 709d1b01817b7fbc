"""The center's parts that let several processes share one province: uploads whose state is in the
database and bytes in the object store, locks across processes, jobs one at a time, /healthz."""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time
import uuid

import pytest
from central_fixtures import *  # noqa: F401,F403

from motcua import errors as E
from motcua.objectstore import open_store
from tests.seaweed import weed  # noqa: F401  (the fixture)

PIECE = 4096


@pytest.fixture(params=["folder", "seaweedfs"])
def store(request, tmp_path):
    if request.param == "folder":
        return open_store(None, tmp_path / "central")
    return open_store(request.getfixturevalue("weed").url("parts", uuid.uuid4().hex[:8]), tmp_path)


def _parcel(size: int) -> tuple[bytes, str, list[str]]:
    data = hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1)
    data = data[:size]
    pieces = [hashlib.sha256(data[i:i + PIECE]).hexdigest() for i in range(0, size, PIECE)]
    return data, hashlib.sha256(data).hexdigest(), pieces


class Cut(io.BytesIO):
    """A body whose link breaks after `keep` bytes."""

    def __init__(self, data: bytes, keep: int):
        super().__init__(data[:keep])


def test_an_upload_cut_mid_piece_resumes_at_the_exact_byte_through_another_store(
        central_db, store, tmp_path):
    from central.uploads import OffsetMismatch, UploadStore
    data, sha, pieces = _parcel(3 * PIECE + 100)
    one = UploadStore(store)
    assert one.create("07001", sha, len(data), PIECE, pieces) == 0
    offset, length = one.append("07001", sha, 0, Cut(data, PIECE + 1000), len(data))
    assert (offset, length) == (PIECE + 1000, len(data))
    # another process: a fresh store object over the same database and objects
    other = UploadStore(open_store(None, tmp_path / "central") if "folder" in store.description
                        else store)
    assert other.status("07001", sha, wait=True)[:2] == (PIECE + 1000, len(data))
    assert other.create("07001", sha, len(data), PIECE, pieces) == PIECE + 1000
    with pytest.raises(OffsetMismatch) as info:                # a retry of what landed
        other.append("07001", sha, 0, data, len(data))
    assert info.value.offset == PIECE + 1000
    assert other.append("07001", sha, PIECE + 1000, io.BytesIO(data[PIECE + 1000:]),
                        len(data) - PIECE - 1000) == (len(data), len(data))
    assert one.read_complete("07001", sha) == data
    one.finish("07001", sha, b'{"receipt": 1}')
    assert other.status("07001", sha) == (len(data), len(data), b'{"receipt": 1}')
    assert list(store.list(f"uploads/07001/{sha}/")) == []      # the bytes went, the receipt stays


def test_a_damaged_piece_is_cut_off_alone(central_db, store):
    from central.uploads import OffsetMismatch, UploadStore
    data, sha, pieces = _parcel(3 * PIECE)
    uploads = UploadStore(store)
    uploads.create("07001", sha, len(data), PIECE, pieces)
    bad = bytearray(data)
    bad[PIECE + 7] ^= 0xFF
    with pytest.raises(OffsetMismatch) as info:
        uploads.append("07001", sha, 0, bytes(bad), len(bad))
    assert info.value.offset == PIECE and uploads.status("07001", sha)[0] == PIECE
    assert uploads.append("07001", sha, PIECE, data[PIECE:], 2 * PIECE) == (len(data), len(data))
    assert uploads.read_complete("07001", sha) == data


def test_the_quota_counts_every_process_s_open_uploads(central_db, store):
    from central.uploads import UploadStore
    from motcua.errors import TooLarge
    uploads = UploadStore(store, max_bytes=40 * PIECE, quota_bytes=5 * PIECE)
    for n in (1, 2):
        data, sha, pieces = _parcel(2 * PIECE + n)
        uploads.create("07001", sha, len(data), PIECE, pieces)
    data, sha, pieces = _parcel(2 * PIECE)
    with pytest.raises(TooLarge):
        UploadStore(store, quota_bytes=5 * PIECE).create("07001", sha, len(data), PIECE, pieces)
    assert UploadStore(store).create("07002", sha, len(data), PIECE, pieces) == 0   # its own quota


def test_an_offset_asked_of_another_process_during_a_create_waits_for_its_body(
        central_db, store, tmp_path):
    """A create carries the upload's first bytes (one step under the upload's lock, from before
    its row exists): another process asked the offset meanwhile answers where the body ends,
    never 0 (the point would send again what is arriving); a refused body leaves no upload."""
    import threading
    import time

    from central.uploads import UploadStore
    from motcua.errors import InvalidInput, NotFound
    data, sha, pieces = _parcel(6 * PIECE)
    reading = threading.Event()

    class Slow(io.BytesIO):
        def read(self, n=-1):
            reading.set()
            time.sleep(0.02)
            return super().read(min(n, PIECE // 2))
    one, other = UploadStore(store), UploadStore(_other(store, tmp_path))
    first = threading.Thread(target=one.create, args=("07001", sha, len(data), PIECE, pieces),
                             kwargs={"body": lambda: (Slow(data[:5 * PIECE + 10]), 5 * PIECE + 10)})
    first.start()
    assert reading.wait(10)
    assert other.status("07001", sha, wait=True)[0] == 5 * PIECE + 10
    assert other.create("07001", sha, len(data), PIECE, pieces) == 5 * PIECE + 10
    first.join()

    def refused():
        raise InvalidInput(E.UPLOAD_OVERFLOW)
    data, sha, pieces = _parcel(2 * PIECE + 1)
    with pytest.raises(InvalidInput):
        one.create("07001", sha, len(data), PIECE, pieces, body=refused)
    with pytest.raises(NotFound):
        other.status("07001", sha)


def _other(store, tmp_path):
    """The same objects as another center process sees them (a fresh store object)."""
    return open_store(None, tmp_path / "central") if "folder" in store.description else store


def test_chunks_of_one_scan_through_two_processes_join_once(central_db, store, tmp_path):
    """A point's uploads in flight side by side, taken by two processes over one store: whatever
    the interleaving, the scan is joined whole, once, and no chunk set is left behind."""
    import threading

    from central.blobstore import CenterBlobs
    from central.models import Blob
    from motcua import legaltime
    sides = [CenterBlobs(store), CenterBlobs(_other(store, tmp_path))]
    for _ in range(3):
        scan = uuid.uuid4().bytes * (8 * PIECE // 16)
        sha = hashlib.sha256(scan).hexdigest()
        errors, joined, gate = [], [], threading.Barrier(8, timeout=10)

        def add(n: int) -> None:
            gate.wait()
            try:
                joined.append(sides[n % 2].add_chunk(
                    sha, len(scan), n * PIECE, scan[n * PIECE:(n + 1) * PIECE],
                    now=legaltime.now(), sender="07001"))
            except Exception as exc:               # noqa: BLE001 - the test reports it
                errors.append(repr(exc))
        workers = [threading.Thread(target=add, args=(n,)) for n in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors, errors
        assert any(joined) and sides[1].read(sha) == scan
        assert not list(store.list(f"blobs/partial/{sha}/"))
        assert Blob.select().where(Blob.sha256 == sha).count() == 1


def test_the_partial_quota_counts_every_process_s_chunks(central_db, store, tmp_path):
    """BLOB_PARTIAL_QUOTA_BYTES holds over the shared store: chunks kept through one process count
    when another is asked; a chunk completing its scan still goes, and frees its share."""
    from central.blobstore import CenterBlobs
    from motcua import legaltime
    from sync.parcel import ParcelRefused
    one = CenterBlobs(store, partial_quota=3 * PIECE)
    other = CenterBlobs(_other(store, tmp_path), partial_quota=3 * PIECE)
    scans = [uuid.uuid4().bytes * (2 * PIECE // 16) for _ in range(4)]
    shas = [hashlib.sha256(x).hexdigest() for x in scans]
    now = legaltime.now()
    for n, side in enumerate((one, other, one)):              # the first half of three scans
        assert side.add_chunk(shas[n], 2 * PIECE, 0, scans[n][:PIECE], now=now,
                              sender="07001") is False
    with pytest.raises(ParcelRefused) as info:
        other.add_chunk(shas[3], 2 * PIECE, 0, scans[3][:PIECE], now=now, sender="07001")
    assert info.value.reason == "blob_quota_exceeded"
    assert other.add_chunk(shas[3], 2 * PIECE, 0, scans[3][:PIECE], now=now,
                           sender="07002") is False           # another point: its own quota
    assert other.add_chunk(shas[0], 2 * PIECE, PIECE, scans[0][PIECE:], now=now,
                           sender="07001") is True            # completes its scan: taken
    assert one.partial_bytes("07001") == 2 * PIECE
    assert one.add_chunk(shas[3], 2 * PIECE, 0, scans[3][:PIECE], now=now,
                         sender="07001") is False             # room again


HOLD = """
import sys, time
from central.db import open_database
from central.locks import named_lock
open_database(sys.argv[1], sys.argv[2] or None)
with named_lock("job:sweep"):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def test_a_job_runs_in_one_process_at_a_time(central_db, backend, tmp_path):
    from central.locks import LockBusy, named_lock, run_exclusively
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "central"),
                               backend or "", "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        ran = []
        assert run_exclusively("sweep", lambda: ran.append(1)) is False and ran == []
        with pytest.raises(LockBusy):
            with named_lock("job:sweep", timeout=0.2):
                pass
        assert run_exclusively("other", lambda: ran.append(2)) is True and ran == [2]
    finally:
        holder.kill()                     # SIGKILL: the lock must not outlive its process
        holder.wait()
        holder.stdout.close()
    # PostgreSQL frees a dead client's locks when its backend notices the closed socket and
    # exits: at once on an idle machine, a moment later on a loaded one (this failed there).
    deadline = time.monotonic() + 10
    while not run_exclusively("sweep", lambda: ran.append(3)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ran == [2, 3]


def test_healthz_checks_the_database_and_the_store(central_app):
    client = central_app.test_client()
    r = client.get("/healthz")
    assert r.status_code == 200, r.text
    assert r.json["database"] == "ok" and r.json["store"] == "ok" and r.json["ok"] is True
    assert r.headers["Cache-Control"] == "no-store"


def test_healthz_says_503_when_the_object_store_is_down(tmp_path):
    from central.db import close_database
    from motcua.apps import create_central_app
    from tests.procs import free_port
    app = create_central_app({"DATA_DIR": str(tmp_path / "c"), "TESTING": True,
                              "BLOB_STORE": f"s3://blobs?endpoint=http://127.0.0.1:{free_port()}"})
    try:
        r = app.test_client().get("/healthz")
        assert r.status_code == 503
        assert r.json["database"] == "ok" and r.json["store"] != "ok" and r.json["ok"] is False
    finally:
        close_database()


@pytest.mark.postgres
def test_connections_come_from_a_pool_sized_per_process(pg_cluster, tmp_path):
    if pg_cluster is None:
        pytest.skip("no PostgreSQL")
    import threading

    from central.db import close_database, db
    from motcua.apps import create_central_app
    app = create_central_app({"DATA_DIR": str(tmp_path / "c"), "TESTING": True,
                              "DATABASE_URL": pg_cluster.create_database(), "DB_POOL_SIZE": 3})
    try:
        client = app.test_client()

        def ask():
            for _ in range(5):
                assert client.get("/healthz").status_code == 200
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = db.obj.pool_stats()
        assert stats["pool_max"] == 3 and stats["pool_size"] <= 3
    finally:
        close_database()


def test_serve_workers_starts_n_processes_and_starts_again_one_that_dies(tmp_path):
    import os
    import signal
    import time

    import requests

    from tests.procs import free_port, motcua, stop
    motcua("central", "init", "--data-dir", tmp_path / "c")
    port = free_port()
    while True:                                   # two free ports in a row
        try:
            import socket
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            break
        except OSError:
            port = free_port()
    parent = subprocess.Popen([sys.executable, "-m", "motcua", "central", "serve", "--data-dir",
                               str(tmp_path / "c"), "--port", str(port), "--workers", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def pids(timeout=40.0):
        deadline, seen = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            try:
                seen = {p: requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2).json()["pid"]
                        for p in (port, port + 1)}
                return seen
            except (requests.RequestException, ValueError):
                time.sleep(0.2)
        raise AssertionError(f"not both up: {seen}")
    try:
        first = pids()
        assert len(set(first.values())) == 2 and parent.pid not in first.values()
        os.kill(first[port], signal.SIGKILL)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            again = pids()
            if again[port] != first[port]:
                break
            time.sleep(0.3)
        assert again[port] != first[port] and again[port + 1] == first[port + 1]
    finally:
        stop(parent)
    assert parent.returncode == 0
