"""Enrolling a point the center already knows, against a real center: a PC installed from scratch
continues the point's parcel chain after the center's standing (its dossiers come back, no code or
sequence is used twice, the old install's key is refused); and an enrollment whose answer was lost
on the link is answered again for the same token and keys, never for other keys."""
from __future__ import annotations

import shutil

import pytest
import requests

from tests.sync_env import Center, add_dossiers, make_node, proxy_to, sync_until_clean

pytestmark = pytest.mark.slow


@pytest.fixture
def center(tmp_path):
    c = Center(tmp_path).start()
    yield c
    c.stop()


@pytest.fixture(autouse=True)
def closing_node_db():
    yield
    from node.db import close_database
    close_database()


def test_a_new_install_of_a_known_point_resumes_its_chain_and_gets_its_dossiers_back(center,
                                                                                        tmp_path):
    from central.models import Dossier as CDossier, Point, Refusal, SeenParcel
    from node.backup import needs_standing
    from node.db import close_database, open_database
    from node.enroll import enroll
    from node.models import Dossier
    from node.reception import receive_dossier, transition
    from node.rounds import sync_round
    from node.setup import init_node
    from tests.conftest import dossier_body

    old = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
    before = add_dossiers(old, 3)
    transition(before[0], 4, "lan@test")
    sync_until_clean(old)
    with center.db():
        seq_before = Point.get(Point.unit_code == "07024").last_seq_in
        held = {d.code for d in CDossier.select()}
    assert set(before) <= held and seq_before >= 1

    # The PC dies with no backup: a technician installs a new one from nothing.
    close_database()
    new = tmp_path / "new-pc"
    init_node(new, "07024", "Quan Lạn")
    enroll(new, center.url, center.token("07024"))
    assert needs_standing()
    # The clerk works before the first round: today's numbers stay clear of the center's.
    offline = receive_dossier(dossier_body(), "lan@test")
    assert offline.code not in held
    sync_until_clean(new)
    assert not needs_standing()
    sync_until_clean(new)                          # the center's copies come down
    with center.db():
        refusals = [(r.reason_code, r.message) for r in Refusal.select()]
        seqs = [s.seq for s in SeenParcel.select().where(SeenParcel.sender == "07024")]
        point = Point.get(Point.unit_code == "07024")
        codes = [d.code for d in CDossier.select().where(CDossier.origin == "07024")]
    assert refusals == []                          # no "replayed", no "chain broken"
    assert len(seqs) == len(set(seqs)) and point.last_seq_in > seq_before
    assert sorted(codes) == sorted(before + [offline.code])
    assert {d.code for d in Dossier.select()} == set(before + [offline.code])
    assert Dossier.get(Dossier.code == before[0]).status == 4
    assert receive_dossier(dossier_body(), "lan@test").code not in codes

    # The old PC comes back to life (or its stolen disk is used): its key is no longer accepted.
    close_database()
    open_database(old)
    stray = receive_dossier(dossier_body(), "lan@test")
    report = sync_round(old)
    assert not report.clean
    close_database()
    open_database(new)
    with center.db():
        assert not CDossier.select().where(CDossier.code == stray.code).exists()
        assert Point.get(Point.unit_code == "07024").last_seq_in == point.last_seq_in
    sync_until_clean(new)                          # and the new install goes on undisturbed


def test_a_brand_new_point_needs_no_standing(center, tmp_path):
    from node.backup import needs_standing
    make_node(tmp_path, "07006", "Minh Châu", center.url, center.token("07006", "Minh Châu"))
    assert not needs_standing()


class _CutTheAnswer(requests.Session):
    """Sends `POST /sync/v1/enroll` on a fresh connection through `proxy` with a cut budget that
    lets the whole request through and cuts the center's answer (the proxy draws ±25 %)."""

    def __init__(self, proxy):
        super().__init__()
        self.proxy = proxy

    def send(self, request, **kwargs):
        if request.method == "POST" and request.path_url.endswith("/enroll"):
            head = f"{request.method} {request.path_url} HTTP/1.1\r\nHost: x:1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
            size = len(head.encode()) + len(request.body or b"")
            self.close()                           # no kept-alive connection: a new budget
            self.proxy.set_faults(cut_every_bytes=int((size + 40) / 0.75))
        return super().send(request, **kwargs)


def test_an_enrollment_whose_answer_was_lost_is_answered_again(center, tmp_path):
    from central.models import EnrollToken, Point
    from node.db import close_database
    from node.enroll import EnrollRefused, enroll, pinned_center_keys
    from node.setup import init_node
    from sync.crypto import load_identity

    token = center.token("07024")
    proxy = proxy_to(center)
    try:
        url = f"http://127.0.0.1:{proxy.listen_port}"
        folder = tmp_path / "node"
        init_node(folder, "07024", "Quan Lạn")
        with pytest.raises(EnrollRefused) as lost:
            enroll(folder, url, token, session=_CutTheAnswer(proxy))
        assert lost.value.code == "center_unreachable" and proxy.stats()["cuts"] == 1
        assert pinned_center_keys() is None
        with center.db():                          # the center did take the token
            assert EnrollToken.get().used_at is not None
            assert Point.get(Point.unit_code == "07024").sign_pub

        proxy.set_faults(cut_every_bytes=None)
        result = enroll(folder, url, token)        # the same request again: the same answer
        mine = load_identity(folder / "node_keys.json").public_keys()
        assert result["node_fingerprint"] == mine.fingerprint()
        assert pinned_center_keys() == center.identity().public_keys()
        with center.db():
            assert Point.get(Point.unit_code == "07024").sign_pub == mine.to_dict()["sign_pub"]
        add_dossiers(folder, 1)
        sync_until_clean(folder)
        close_database()

        # Another PC with the spent token (other keys) is refused; the point keeps its keys.
        other = tmp_path / "other"
        init_node(other, "07024", "Quan Lạn")
        with pytest.raises(EnrollRefused) as refused:
            enroll(other, url, token)
        assert refused.value.code == "enroll_token_used"
        with center.db():
            assert Point.get(Point.unit_code == "07024").sign_pub == mine.to_dict()["sign_pub"]
    finally:
        proxy.stop()


def test_a_retry_is_not_answered_for_a_revoked_point(center, tmp_path):
    from central.points import revoke_point
    from node.enroll import EnrollRefused, enroll
    token = center.token("07024")
    folder = make_node(tmp_path, "07024", "Quan Lạn", center.url, token)
    with center.db():
        revoke_point("07024")
    with pytest.raises(EnrollRefused) as refused:
        enroll(folder, center.url, token)
    assert refused.value.code == "enroll_token_used"


def test_a_new_install_enrolled_by_file_resumes_by_stick(center, tmp_path):
    """No network at the island: the enrollment file says the center knows this point; the first
    stick carries the new keys and the question only, the second the answer; then the chain goes
    on after the old install's and its dossiers come back."""
    from central.models import Dossier as CDossier, Point, Refusal, SeenParcel
    from node.backup import needs_standing
    from node.db import close_database
    from node.enroll import enroll_from_file
    from node.ferry import export_to, import_from
    from node.models import Dossier
    from node.reception import receive_dossier
    from node.setup import init_node
    from tests.conftest import dossier_body
    from tests.procs import motcua

    old = make_node(tmp_path, "07027", "Ngọc Vừng", center.url, center.token("07027"))
    before = add_dossiers(old, 2)
    sync_until_clean(old)
    with center.db():
        seq_before = Point.get(Point.unit_code == "07027").last_seq_in
    close_database()
    shutil.rmtree(old)

    offer = tmp_path / "usb" / "ngoc-vung.enroll"
    motcua("central", "enroll-token", "--data-dir", center.dir, "--unit-code", "07027",
           "--name", "Ngọc Vừng", "--ttl", "7d", "--file", offer)
    new = tmp_path / "new-pc"
    init_node(new, "07027", "Ngọc Vừng")
    enroll_from_file(new, offer)
    assert needs_standing()
    offline = receive_dossier(dossier_body(), "lan@test")
    assert offline.code not in before

    stick = tmp_path / "stick"
    lane = stick / "motcua" / "07027" / "up"
    export_to(new, stick)
    assert (lane / "enroll-request.json").exists() and (lane / "standing-request.json").exists()
    assert not list(lane.glob("*.mcp"))
    for _ in range(3):
        motcua("central", "import", "--data-dir", center.dir, "--from", stick)
        import_from(new, stick)
        export_to(new, stick)
    motcua("central", "import", "--data-dir", center.dir, "--from", stick)
    import_from(new, stick)
    assert not needs_standing()
    with center.db():
        refusals = [(r.reason_code, r.message) for r in Refusal.select()]
        seqs = [s.seq for s in SeenParcel.select().where(SeenParcel.sender == "07027")]
        point = Point.get(Point.unit_code == "07027")
        codes = [d.code for d in CDossier.select().where(CDossier.origin == "07027")]
    assert refusals == []
    assert len(seqs) == len(set(seqs)) and point.last_seq_in > seq_before
    assert sorted(codes) == sorted(before + [offline.code])
    assert {d.code for d in Dossier.select()} == set(before + [offline.code])
