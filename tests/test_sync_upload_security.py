"""What an attacker on the center's network found, one test per finding (issue "Uploads: owned,
bounded, and resumed at the exact byte"), against a real `motcua central serve` process."""
from __future__ import annotations

import hashlib
import os
import socket
from datetime import timedelta

import pytest
import requests
import zstandard

from motcua import legaltime
from sync import crypto
from sync.hlc import Stamp
from sync.parcel import MAGIC, ParcelHeader, canonical_json
from tests.sync_env import Center
from tests.test_sync_refusals import Sender, _rewind

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
PIECE = 64 * 1024


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    c = Center(tmp_path_factory.mktemp("upsec")).start()
    yield c
    c.stop()


def _rss_peak_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def signed(sender: Sender, method: str, path: str, **fields) -> dict:
    """Upload headers signed by `sender` (docs/protocol.md, "Resumable upload of a parcel")."""
    from sync.transport import sign_upload
    return sign_upload(sender.identity, sender.unit, method, path, fields)


def pieces(data: bytes) -> str:
    return ",".join(hashlib.sha256(data[i:i + PIECE]).hexdigest()
                    for i in range(0, max(len(data), 1), PIECE))


def create(sender: Sender, data: bytes, first: bytes = b"", *, length: int | None = None):
    sha = crypto.sha256_hex(data)
    fields = {"Upload-Length": str(length or len(data)), "Motcua-Parcel-Sha256": sha,
              "Motcua-Piece-Bytes": str(PIECE),
              "Motcua-Piece-Sha256": pieces(data) if length is None
              else ",".join(["ab" * 32] * -(-length // PIECE))}
    return requests.post(f"{sender.center.url}/sync/v1/uploads", data=first, timeout=30, headers={
        **fields, **signed(sender, "POST", "/sync/v1/uploads", **fields),
        "Content-Type": "application/offset+octet-stream"})


def patch(sender: Sender, sha: str, offset: int, body: bytes, *, signer: Sender | None = None):
    path = f"/sync/v1/uploads/{sha}"
    fields = {"Upload-Offset": str(offset)}
    return requests.patch(sender.center.url + path, data=body, timeout=30, headers={
        **fields, **signed(signer or sender, "PATCH", path, **fields),
        "Content-Type": "application/offset+octet-stream"})


def head(sender: Sender, sha: str) -> int:
    path = f"/sync/v1/uploads/{sha}"
    r = requests.head(sender.center.url + path, headers=signed(sender, "HEAD", path), timeout=10)
    assert r.status_code == 200, r.status_code
    return int(r.headers["Upload-Offset"])


def test_upload_calls_unsigned_or_signed_by_a_stranger_are_refused(center):
    s = Sender(center, center.url)
    data = s.parcel()
    sha = crypto.sha256_hex(data)
    r = requests.post(f"{center.url}/sync/v1/uploads", data=data[:100], timeout=10, headers={
        "Upload-Length": str(len(data)), "Motcua-Parcel-Sha256": sha})
    assert r.status_code == 401, r.text
    for method in ("HEAD", "PATCH"):
        r = requests.request(method, f"{center.url}/sync/v1/uploads/{sha}", timeout=10,
                             headers={"Upload-Offset": "0"})
        assert r.status_code == 401
    assert requests.post(f"{center.url}/sync/v1/uploads/{sha}/finish", timeout=10).status_code == 401
    impostor = Sender(center, center.url, enroll=False)
    impostor.unit = s.unit                       # names the point, signs with other keys
    assert create(impostor, data, data).status_code == 401
    assert not list((center.dir / "uploads").rglob(f"{sha}*"))


def test_declared_sizes_are_bounded_by_a_per_point_quota(center):
    s = Sender(center, center.url)
    answers = []
    for i in range(40):
        fake = bytes([i]) * 1000
        answers.append(create(s, fake, length=512 * MiB).status_code)
    assert 201 not in answers and set(answers) <= {413}, answers
    small = [create(s, bytes([i]) * 1000, length=4 * MiB).status_code for i in range(40)]
    assert small.count(201) < 40 and 413 in small, small    # the quota of open bytes


def test_oversize_body_is_refused_before_it_is_read_and_memory_stays_small(center):
    s = Sender(center, center.url)
    data = s.parcel()
    sha = crypto.sha256_hex(data)
    fields = {"Upload-Length": "10", "Motcua-Parcel-Sha256": sha,
              "Motcua-Piece-Bytes": str(PIECE), "Motcua-Piece-Sha256": pieces(data[:10])}
    headers = {**fields, **signed(s, "POST", "/sync/v1/uploads", **fields),
               "Content-Length": str(400 * MiB), "Host": "x",
               "Content-Type": "application/offset+octet-stream"}
    for target in ("/sync/v1/uploads", "/sync/v1/blobs/have", "/api/v1/dossiers/x/transitions"):
        with socket.create_connection(("127.0.0.1", center.port), timeout=10) as sock:
            head_bytes = f"POST {target} HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            sock.sendall(head_bytes.encode())
            sent = 0
            try:
                block = bytes(MiB)
                while sent < 400 * MiB:
                    sock.sendall(block)
                    sent += len(block)
            except OSError:
                pass                                 # the center hung up: it read no further
            try:
                answer = sock.recv(200)
            except OSError:
                answer = b""
        assert sent < 400 * MiB and b" 200 " not in answer[:20], (target, sent, answer[:60])
    peak = _rss_peak_mb(center.proc.pid)
    print(f"center peak resident memory after 400 MiB bodies: {peak:.0f} MB")
    assert peak < 150


def test_only_the_creator_extends_or_finishes_an_upload_and_junk_is_dropped_alone(center):
    owner, other = Sender(center, center.url), Sender(center, center.url)
    import os

    from sync.blobs import build_blob_parcels
    data = build_blob_parcels(owner.unit, owner.identity, "central", owner.center_keys.enc_pub,
                              str(Stamp(1, 0)), os.urandom(250_000), chunk_size=1 << 20)[0]
    assert len(data) > 3 * PIECE
    sha = crypto.sha256_hex(data)
    assert create(owner, data, data[:PIECE + 1000]).status_code == 201
    assert head(owner, sha) == PIECE + 1000            # the exact byte, not a piece boundary
    assert patch(owner, sha, PIECE + 1000, b"junk" * 500, signer=other).status_code in (401, 404)
    path = f"/sync/v1/uploads/{sha}/finish"
    assert requests.post(center.url + path, headers=signed(other, "POST", path),
                         timeout=10).status_code in (401, 404)
    assert head(owner, sha) == PIECE + 1000
    # bytes damaged on the way (by anyone): the damaged piece alone goes, the ones before stay
    bad = bytearray(data[PIECE + 1000:3 * PIECE])
    bad[-10] ^= 0xFF
    r = patch(owner, sha, PIECE + 1000, bytes(bad))
    assert r.status_code == 409 and int(r.headers["Upload-Offset"]) == 2 * PIECE
    r = patch(owner, sha, 2 * PIECE, data[2 * PIECE:])
    assert r.status_code == 200 and b"receipt" in r.content


def test_a_bogus_chunk_naming_another_points_scan_deletes_nothing(center):
    from sync.blobs import build_blob_parcels
    a, b = Sender(center, center.url), Sender(center, center.url)
    scan = b"\x89PNG" + bytes(range(256)) * 40
    chunks = build_blob_parcels(a.unit, a.identity, "central", a.center_keys.enc_pub,
                                str(Stamp(1, 0)), scan, chunk_size=4096)
    assert a.send(chunks[0])["result"] == "applied"
    scan_sha = crypto.sha256_hex(scan)
    forged = bytearray(scan)
    forged[-1] ^= 1
    bogus = build_blob_parcels(b.unit, b.identity, "central", b.center_keys.enc_pub,
                               str(Stamp(1, 0)), bytes(forged), chunk_size=4096)
    # B rebuilds its last chunk so that it names A's scan hash
    from sync.parcel import seal_parcel
    last_off = (len(scan) - 1) // 4096 * 4096
    body = bytes(forged[last_off:])
    header = ParcelHeader(b.unit, "central", 0, "", str(Stamp(1, 0)), "blob-chunk",
                          crypto.sha256_hex(body), len(body), scan_sha, len(scan), last_off)
    b.send(seal_parcel(header, body, b.identity, b.center_keys.enc_pub))
    del bogus
    held = list((center.dir / "blobs" / "partial").rglob("*"))
    assert any(p.is_file() and p.stat().st_size == 4096 for p in held), held
    for chunk in chunks[1:]:
        assert a.send(chunk)["result"] == "applied"
    assert (center.dir / "blobs" / scan_sha[:2] / scan_sha).read_bytes() == scan


def _bomb(s: Sender, declared: int) -> bytes:
    """A small parcel whose signed header and zstd frame both declare `declared` bytes."""
    cobj = zstandard.ZstdCompressor(level=1).compressobj(size=declared)
    frame = b"".join(cobj.compress(bytes(MiB)) for _ in range(declared // MiB)) + cobj.flush()
    header = ParcelHeader(s.unit, "central", s.seq + 1, s.prev, str(Stamp(1, 0)), "events",
                          "0" * 64, declared)
    header_bytes = canonical_json(header.to_dict())
    aad = MAGIC + b"\x01" + header_bytes
    sealed = crypto.seal(frame, aad, s.identity, s.center_keys.enc_pub)
    ciphertext, signature = crypto.split_sealed(sealed)
    import struct
    return (struct.pack(">4sBI", MAGIC, 1, len(header_bytes)) + header_bytes
            + struct.pack(">I", len(ciphertext)) + ciphertext + signature)


def test_a_decompression_bomb_is_refused_without_inflating(center):
    s = Sender(center, center.url)
    bomb = _bomb(s, 512 * MiB)
    assert len(bomb) < 64 * 1024
    body = s.send(bomb)
    assert body["result"] == "refused"
    peak = _rss_peak_mb(center.proc.pid)
    print(f"center peak resident memory after a 512 MiB bomb: {peak:.0f} MB")
    assert peak < 150


def test_streamed_decompression_has_a_hard_limit():
    from sync.parcel import ParcelRefused, _decompress
    cobj = zstandard.ZstdCompressor(level=1, write_content_size=False).compressobj()
    frame = b"".join(cobj.compress(bytes(MiB)) for _ in range(64)) + cobj.flush()
    with pytest.raises(ParcelRefused):
        _decompress(frame, 1000)



def test_parcels_far_ahead_of_the_chain_are_capped_and_expire(center):
    from central.ingest import sweep_held
    s = Sender(center, center.url)
    far = s.parcel(seq=100_000, prev="ab" * 32, advance=False)
    assert s.send(far)["result"] == "refused"
    results = [s.send(s.parcel(seq=3 + i, prev="cd" * 32, advance=False))["result"]
               for i in range(70)]
    assert "held" in results and results.count("held") <= 64, results
    folder = center.dir / "held" / s.unit
    assert 0 < len(list(folder.glob("*.mcp"))) <= 64
    with center.db():
        from motcua.objectstore import FolderStore
        sweep_held(FolderStore(center.dir), now=legaltime.now() + timedelta(days=30))
    assert not list(folder.glob("*.mcp"))


def test_an_unverified_refusal_is_not_counted_against_the_point_it_names(center):
    from central.models import Point
    s = Sender(center, center.url)
    stranger = crypto.generate_identity()

    def count():
        with center.db():
            return Point.get(Point.unit_code == s.unit).refused_count
    data = s.parcel(identity=stranger)                 # names the point, signed by someone else
    assert s.send(data)["reason"] == "bad_signature"
    flipped = bytearray(s.parcel(advance=False))
    flipped[len(flipped) // 2] ^= 1
    s.send(bytes(flipped))
    assert count() == 0
    _rewind(s)
    s.expect_good_parcel_goes_through()
    s.send(s.parcel(prev="ef" * 32, advance=False))   # signed by the point: chain_broken counts
    assert count() == 1


def test_abandoned_uploads_expire(center):
    from central.uploads import UploadStore
    s = Sender(center, center.url)
    data = s.parcel(s.events(300))
    sha = crypto.sha256_hex(data)
    assert create(s, data, data[:5000]).status_code == 201
    from motcua.objectstore import FolderStore
    store = UploadStore(FolderStore(center.dir))
    with center.db():
        assert list(center.dir.glob("uploads/*/*/p*")) or list(center.dir.glob("uploads/*/*/t*"))
        assert store.sweep(now=legaltime.now() + timedelta(hours=1), max_age=timedelta(hours=48)) == 0
        assert store.sweep(now=legaltime.now() + timedelta(days=3),
                           max_age=timedelta(hours=48)) >= 1
    assert not list(center.dir.glob("uploads/*/*/*"))              # its bytes went too
    path = f"/sync/v1/uploads/{sha}"
    r = requests.head(center.url + path, headers=signed(s, "HEAD", path), timeout=10)
    assert r.status_code == 404


def test_unjoined_scan_chunks_are_bounded_by_a_per_point_quota(tmp_path):
    """Chunks of scans never completed stay in `blobs/partial/` until the sweep: a point may keep
    at most BLOB_PARTIAL_QUOTA_BYTES there. Beyond, its chunks of yet other scans are refused
    (`blob_quota_exceeded`, a signed refusal); a chunk that completes its scan still goes, and
    another point's chunks are not affected."""
    from sync.blobs import build_blob_parcels
    c = Center(tmp_path)
    with open(c.dir / "central.cfg", "a") as cfg:
        cfg.write("\nBLOB_PARTIAL_QUOTA_BYTES = 40000\n")
    c.start()
    try:
        a, b = Sender(c, c.url), Sender(c, c.url)

        def first_chunks(s: Sender, n: int) -> list:
            """The first 16 KiB chunk of `n` different 32 KiB scans, and the rest of each."""
            out = []
            for _ in range(n):
                scan = os.urandom(32 * 1024)
                out.append(build_blob_parcels(s.unit, s.identity, "central", s.center_keys.enc_pub,
                                              str(Stamp(1, 0)), scan, chunk_size=16 * 1024))
            return out
        scans = first_chunks(a, 3)
        assert a.send(scans[0][0])["result"] == "applied"        # 16 KiB held, unjoined
        assert a.send(scans[1][0])["result"] == "applied"        # 32 KiB
        refused = a.send(scans[2][0])                            # 48 KiB > 40000: refused
        assert refused["result"] == "refused" and refused["reason"] == "blob_quota_exceeded"
        assert a.send(scans[0][1])["result"] == "applied"        # completes scan 0: goes
        assert a.send(scans[2][0])["result"] == "applied"        # room again
        other = first_chunks(b, 2)
        assert [b.send(p[0])["result"] for p in other] == ["applied", "applied"]
        partial = sum(p.stat().st_size for p in (c.dir / "blobs" / "partial").rglob("*")
                      if p.is_file() and a.unit in p.parts)
        assert partial <= 40000, partial
    finally:
        c.stop()
