"""The object store's contract, the same on the local folder and on SeaweedFS through boto3."""
from __future__ import annotations

import uuid

import pytest

from motcua.objectstore import FolderStore, ObjectStore, StoreUnavailable, check_key, open_store
from tests.seaweed import weed  # noqa: F401  (the fixture)


@pytest.fixture(params=["folder", "seaweedfs"])
def store(request, tmp_path) -> ObjectStore:
    if request.param == "folder":
        return open_store(None, tmp_path)
    weed = request.getfixturevalue("weed")
    return open_store(weed.url("contract", uuid.uuid4().hex[:8]), tmp_path)


def test_put_get_stat_delete(store):
    assert store.stat("blobs/ab/x") is None and not store.has("blobs/ab/x")
    with pytest.raises(FileNotFoundError):
        store.get("blobs/ab/x")
    data = bytes(range(256)) * 4096                         # 1 MiB, every byte value
    store.put("blobs/ab/x", data)
    assert store.get("blobs/ab/x") == data
    assert store.stat("blobs/ab/x").size == len(data)
    store.put("blobs/ab/x", b"second")                      # a put replaces whole
    assert store.get("blobs/ab/x") == b"second"
    store.delete("blobs/ab/x")
    store.delete("blobs/ab/x")                              # twice: no error
    assert store.stat("blobs/ab/x") is None


def test_empty_object(store):
    store.put("held/07001/empty", b"")
    assert store.get("held/07001/empty") == b"" and store.stat("held/07001/empty").size == 0


def test_list_by_prefix_in_key_order_and_delete_prefix(store):
    for key in ("uploads/07001/u1/000002", "uploads/07001/u1/000000", "uploads/07001/u10/000000",
                "uploads/07002/u1/000000", "held/07001/a"):
        store.put(key, key.encode())
    keys = [i.key for i in store.list("uploads/07001/u1/")]
    assert keys == ["uploads/07001/u1/000000", "uploads/07001/u1/000002"]
    assert [i.key for i in store.list("uploads/07001/u1")] == [
        "uploads/07001/u1/000000", "uploads/07001/u1/000002", "uploads/07001/u10/000000"]
    assert all(i.size == len(i.key) and i.modified > 0 for i in store.list("uploads/"))
    assert list(store.list("nothing/here/")) == []
    assert store.delete_prefix("uploads/07001/") == 3
    assert [i.key for i in store.list("uploads/")] == ["uploads/07002/u1/000000"]


@pytest.mark.parametrize("bad", ["", "../x", "a/../b", "/abs", "a//b", ".hidden", "a/.b",
                                 "a\\b", "a b", "x" * 300, "a/b/c/d/e/f/g/h/i"])
def test_keys_never_leave_the_store(store, bad):
    with pytest.raises(ValueError):
        check_key(bad)
    with pytest.raises(ValueError):
        store.put(bad, b"x")
    with pytest.raises(ValueError):
        store.get(bad)


def test_check_probes_a_round_trip(store):
    store.check()
    assert list(store.list("health/")) == []


def test_a_folder_that_cannot_be_written_is_unavailable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(StoreUnavailable):
        FolderStore(blocker).check()


def test_an_object_store_that_is_down_is_unavailable(tmp_path):
    from motcua.objectstore import S3Store
    from tests.procs import free_port
    store = S3Store(f"http://127.0.0.1:{free_port()}", "b", access_key="x", secret_key="x",
                    create_bucket=False)
    with pytest.raises(StoreUnavailable):
        store.check()


def test_settings_name_the_store(tmp_path):
    assert isinstance(open_store("", tmp_path), FolderStore)
    assert open_store(f"folder://{tmp_path}/o", tmp_path).root == tmp_path / "o"
    for bad in ("ftp://x", "s3://bucket"):
        with pytest.raises(ValueError):
            open_store(bad, tmp_path)
