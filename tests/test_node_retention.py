"""Scans leave the point only when the center holds them and their dossier closed long ago."""
from __future__ import annotations

from datetime import timedelta

from motcua import legaltime
from tests.conftest import dossier_body, png_bytes, upload


def test_purge_only_what_the_center_holds_of_closed_dossiers(api, app):
    from node import reception
    from node.models import Blob
    from node.retention import purge_scans
    store = app.extensions["motcua.blobs"]
    closed = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    open_ = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    sha_closed = upload(api, closed, png_bytes(3000, seed=1)).get_json()["sha256"]
    sha_open = upload(api, open_, png_bytes(3000, seed=2)).get_json()["sha256"]
    sha_unsent = upload(api, closed, png_bytes(3000, seed=3),
                        requirement="1.001193-d2").get_json()["sha256"]
    for step in (4, 9, 10):
        reception.transition(closed, step, "lan@07024")
    Blob.update(at_center=True).where(Blob.sha256.in_([sha_closed, sha_open])).execute()

    later = legaltime.now() + timedelta(days=91)
    assert purge_scans(store, 90, now=legaltime.now()) == (0, 0)     # closed only just now
    removed, freed = purge_scans(store, 90, now=later)
    assert removed == 1 and freed > 0
    assert not store.has(sha_closed)
    assert store.has(sha_open) and store.has(sha_unsent)
    gone = api.get(f"/api/v1/dossiers/{closed}/attachments/{sha_closed}")
    assert gone.status_code == 410 and "trung tâm" in gone.get_json()["error"]["message"]
    assert api.get(f"/api/v1/dossiers/{closed}").get_json()["history"]   # history kept
