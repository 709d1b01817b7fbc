"""The floor both sides stand on: one declaration of the shared tables bound per app, the secret
file, the scan folder, the conflict drift check."""
from __future__ import annotations

import os
import stat
import threading

import pytest


def _columns(model) -> dict:
    return {f.column_name: (f.field_type, f.null, f.unique, f.index, f.primary_key)
            for f in model._meta.sorted_fields}


def test_shared_tables_are_one_declaration_bound_to_each_side():
    import central.models as c
    import node.models as n
    for name in ("State", "User", "ApiToken", "UserSession", "Throttle", "ConflictRecord"):
        here, there = getattr(n, name), getattr(c, name)
        assert here is not there                               # a class per app…
        assert here._meta.database is n.db and there._meta.database is c.db
        assert _columns(here) == _columns(there), name         # …over one declaration
        assert here._meta.table_name == there._meta.table_name
    # Keys point at the same side's accounts, and backrefs come back to the same side.
    assert n.ApiToken.user.rel_model is n.User and c.ApiToken.user.rel_model is c.User
    assert n.UserSession.user.rel_model is n.User and c.User.sessions.rel_model is c.UserSession
    # Dossier and event: the common columns are the same, each side adds its own.
    for name, mine, theirs in (("Dossier", {"lookup_secret", "book_number"}, {"event_count"}),
                               ("Event", {"acked_at"}, {"parcel_id"})):
        here, there = _columns(getattr(n, name)), _columns(getattr(c, name))
        for column in ("uid", "status", "applicant", "updated_hlc") if name == "Dossier" else \
                ("event_id", "kind", "hlc", "payload"):
            assert here[column] == there[column]
        assert mine <= set(here) and not mine & set(there)
        assert theirs <= set(there) and not theirs & set(here)


def test_both_sides_query_their_own_database_at_once(tmp_path):
    from central.db import close_database as close_center, open_database as open_center
    from central.models import State as CenterState
    from node.db import close_database as close_node, open_database as open_node
    from node.models import State as NodeState
    open_node(tmp_path / "node")
    open_center(tmp_path / "center")
    try:
        NodeState.create(key="who", value="point")
        CenterState.create(key="who", value="center")
        assert NodeState.get(NodeState.key == "who").value == "point"
        assert CenterState.get(CenterState.key == "who").value == "center"
    finally:
        close_node()
        close_center()


def test_secret_file_is_made_once_private_and_agreed_on(tmp_path):
    from motcua.files import secret_file
    path = tmp_path / "d" / "secret_key"
    results, start = [], threading.Barrier(8)

    def make():
        start.wait()
        results.append(secret_file(path))
    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results[0]) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secret_file(path) == results[0]
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]    # no temporaries left


@pytest.mark.parametrize("bad", ["../" * 20 + "etc/passwd", "A" * 64, "ab", "", None, "0" * 63 + "/"])
def test_both_scan_folders_refuse_a_name_that_is_not_a_hash(tmp_path, bad):
    from central.blobstore import CenterBlobs
    from motcua.errors import InvalidInput
    from motcua.objectstore import FolderStore
    from node.scans import BlobStore
    center = CenterBlobs(FolderStore(tmp_path / "c"))
    for name_it in (BlobStore(tmp_path / "n").path_for, center.key_for, center.has):
        with pytest.raises(InvalidInput) as info:
            name_it(bad)
        assert info.value.code == "bad_sha256"
    good = "ab" * 32
    assert BlobStore(tmp_path / "n").path_for(good) == tmp_path / "n" / "ab" / good


def test_conflict_drift_names_each_kind_of_difference():
    from sync.conflict_table import conflict_drift

    class C:
        def __init__(self, id, is_open):
            self.id, self.is_open = id, is_open

    class State:
        conflicts = [C("same", True), C("closed-here", False), C("raised-only", True)]
    stored = {"same": True, "closed-here": True, "stored-only": False}
    assert conflict_drift(stored, State) == [("closed-here", True, False),
                                             ("raised-only", None, True),
                                             ("stored-only", False, None)]
