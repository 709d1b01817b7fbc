"""Enrolling a point with no network: the center's signed file in, a sealed request out by stick."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import dossier_body
from tests.procs import motcua


def attempt(*args) -> str:
    """Run a command expected to fail; returns what it said (stdout and stderr)."""
    result = subprocess.run([sys.executable, "-m", "motcua", *map(str, args)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0, result.stdout
    return result.stdout + result.stderr

pytestmark = pytest.mark.slow


def use(node: Path) -> None:
    from node.db import close_database, open_database
    close_database()
    open_database(node)


@pytest.fixture
def world(tmp_path):
    center = tmp_path / "center"
    motcua("central", "init", "--data-dir", center)
    offer = tmp_path / "usb" / "ngoc-vung.enroll"
    out = motcua("central", "enroll-token", "--data-dir", center, "--unit-code", "07027",
                 "--name", "Ngọc Vừng", "--ttl", "7d", "--file", offer)
    fingerprint = out.strip().rsplit(" ", 1)[-1]
    node = tmp_path / "node"
    motcua("node", "init", "--data-dir", node, "--unit-code", "07027", "--name", "Ngọc Vừng")
    yield {"center": center, "offer": offer, "node": node, "stick": tmp_path / "usb",
           "fingerprint": fingerprint, "tmp": tmp_path}
    from node.db import close_database
    close_database()


def test_offline_enrollment_round_trip(world):
    center, node, stick = world["center"], world["node"], world["stick"]
    assert "enr_" in world["offer"].read_text()          # the offer is the secret, like the token
    out = motcua("node", "enroll", "--data-dir", node, "--enroll-file", world["offer"],
                 "--center-fingerprint", world["fingerprint"])
    assert "bằng tệp" in out
    use(node)
    from node import reception
    d = reception.receive_dossier(dossier_body(), "lan@07027")
    from node.ferry import export_to, import_from
    went = export_to(node, stick)
    request = stick / "motcua" / "07027" / "up" / "enroll-request.json"
    assert request.exists() and b"enr_" not in request.read_bytes()     # the token is sealed

    came = motcua("central", "import", "--data-dir", center, "--from", stick)
    assert "ghi danh điểm 07027" in came, came
    import_from(node, stick)
    from node.models import Event, State
    assert Event.select().where(Event.acked_at.is_null()).count() == 0
    assert State.get_or_none(State.key == "enroll:request") is None
    export_to(node, stick)
    assert not request.exists()                                     # done: not carried again
    listed = motcua("central", "point", "list", "--data-dir", center)
    assert "07027" in listed and "active" in listed
    assert any("yêu cầu ghi danh" in str(line) for line in went.went)
    assert "1 gói áp dụng (1 sự kiện)" in came, came
    assert d.code


def test_offer_for_another_point_or_tampered_is_refused(world, tmp_path):
    other = tmp_path / "other"
    motcua("node", "init", "--data-dir", other, "--unit-code", "07024", "--name", "Quan Lạn")
    wrong = attempt("node", "enroll", "--data-dir", other, "--enroll-file", world["offer"])
    assert "07027" in wrong and not (other / "node_keys.json").exists()
    tampered = tmp_path / "tampered.enroll"
    doc = json.loads(world["offer"].read_text())
    doc["unit_code"] = "07024"
    tampered.write_text(json.dumps(doc))
    refused = attempt("node", "enroll", "--data-dir", other, "--enroll-file", tampered)
    assert "chữ ký" in refused
    bad_fp = attempt("node", "enroll", "--data-dir", world["node"], "--enroll-file", world["offer"],
                     "--center-fingerprint", "0000-0000-0000-0000")
    assert "không khớp" in bad_fp


def test_a_second_point_cannot_reuse_the_request(world, tmp_path):
    """The same offer used by a cloned PC: the center enrolls the first, refuses the second."""
    center, stick = world["center"], world["stick"]
    motcua("node", "enroll", "--data-dir", world["node"], "--enroll-file", world["offer"])
    twin = tmp_path / "twin"
    motcua("node", "init", "--data-dir", twin, "--unit-code", "07027", "--name", "Ngọc Vừng")
    motcua("node", "enroll", "--data-dir", twin, "--enroll-file", world["offer"])
    from node.ferry import export_to
    use(world["node"])
    export_to(world["node"], stick)
    assert "ghi danh điểm 07027" in motcua("central", "import", "--data-dir", center, "--from", stick)
    use(twin)
    from node import reception
    reception.receive_dossier(dossier_body(), "kẻ-giả@07027")
    export_to(twin, stick)
    again = attempt("central", "import", "--data-dir", center, "--from", stick)
    assert "đã được dùng" in again, again
    assert "bad_signature" in again          # the twin's parcels are not taken as 07027's
