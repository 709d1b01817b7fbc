"""What a point writes to its SD card while syncing scans: over a live link a scan chunk is sealed
in memory and never lands in the spool (a second copy of every scan); only when the link drops with
it is it kept, so the next round resumes the same bytes."""
from __future__ import annotations

import pytest

from tests.sync_env import add_dossiers, center, closing_node_db, make_node, sync_until_clean  # noqa: F401  (fixtures)

# Every test here binds a node database in this process: close it after each.
pytestmark = pytest.mark.usefixtures("closing_node_db")


def test_live_chunks_stay_in_memory_unless_the_link_drops(center, tmp_path, monkeypatch):
    import sync.outbox
    from node.models import Blob
    from node.rounds import sync_round
    from sync.transport import RetryPolicy
    written = []
    real = sync.outbox.write_durably
    monkeypatch.setattr(sync.outbox, "write_durably",
                        lambda path, data, **kw: (written.append(str(path)), real(path, data, **kw)))
    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
    add_dossiers(folder, 2, scan_bytes=200_000)
    sync_until_clean(folder)
    assert written and not [p for p in written if "/blobs/" in p and p.endswith(".mcp")]
    assert not list((folder / "outbox" / "blobs").glob("*.mcp"))
    assert not Blob.select().where(~Blob.at_center).exists()

    # The link drops while a chunk is on its way: that chunk is kept, and the next round sends
    # those very bytes (the center may hold part of their upload already).
    from sync.parcel import peek_header
    from sync.transport import HttpTransport, TransportError
    add_dossiers(folder, 1, scan_bytes=200_000)
    real_upload = HttpTransport.upload_parcel
    sent = []

    def cut(self, data):
        if peek_header(data).kind == "blob-chunk":
            raise TransportError("mất kết nối")
        return real_upload(self, data)
    monkeypatch.setattr(HttpTransport, "upload_parcel", cut)
    report = sync_round(folder, policy=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.02))
    assert report.error and not report.clean
    kept = list((folder / "outbox" / "blobs").glob("*.mcp"))
    assert len(kept) == 1
    kept_bytes = kept[0].read_bytes()

    def spy(self, data):
        sent.append(data)
        return real_upload(self, data)
    monkeypatch.setattr(HttpTransport, "upload_parcel", spy)
    sync_until_clean(folder)
    assert kept_bytes in sent
    assert not list((folder / "outbox" / "blobs").glob("*.mcp"))
