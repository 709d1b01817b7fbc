"""A scan whose chunks reached the center but were never joined (the center died between storing
the last chunk and joining them) is still delivered: the point trusts only "held whole"."""
from __future__ import annotations

import pytest

from tests.sync_env import Center, add_dossiers, make_node, sync_until_clean

pytestmark = pytest.mark.slow


def test_chunks_held_but_never_joined_are_sent_again(tmp_path):
    from node.db import close_database
    from node.models import Blob
    center = Center(tmp_path).start()
    try:
        node = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
        add_dossiers(node, 1, scan_bytes=40_000)
        (scan,) = list(Blob.select())
        data = (node / "scans" / scan.sha256[:2] / scan.sha256).read_bytes()
        # What a crash leaves: the only chunk stored, the scan not joined, no row at the center.
        partial = center.dir / "blobs" / "partial" / scan.sha256
        partial.mkdir(parents=True)
        (partial / f"{0:015d}").write_bytes(data)
        sync_until_clean(node)
        assert Blob.get_by_id(scan.sha256).at_center
    finally:
        center.stop()
        close_database()
    from central.models import Blob as CenterBlob
    with center.db():
        assert CenterBlob.get_or_none(CenterBlob.sha256 == scan.sha256) is not None
    assert (center.dir / "blobs" / scan.sha256[:2] / scan.sha256).read_bytes() == data
