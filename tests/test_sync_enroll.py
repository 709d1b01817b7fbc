"""Enrollment over HTTP against a real center: keys made on the node, one-time expiring tokens,
the center's keys pinned (and checked before a token is spent)."""
from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest

from motcua import legaltime
from tests.sync_env import Center

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    c = Center(tmp_path_factory.mktemp("enroll")).start()
    yield c
    c.stop()


@pytest.fixture
def node_dir(tmp_path):
    from node.db import close_database
    from node.setup import init_node
    init_node(tmp_path / "node", "07024", "Quan Lạn")
    yield tmp_path / "node"
    close_database()


def test_enroll_makes_keys_here_and_pins_the_center(center, node_dir):
    from node.enroll import enroll, pinned_center_keys
    from node.facts import get_state
    result = enroll(node_dir, center.url, center.token("07024", "Quan Lạn"))
    keys_file = node_dir / "node_keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert "sign_private" in json.loads(keys_file.read_text())
    assert pinned_center_keys() == center.identity().public_keys()
    assert result["center_fingerprint"] == get_state("central_fingerprint")
    from central.models import Point
    with center.db():
        point = Point.get(Point.unit_code == "07024")
    from sync.crypto import load_identity
    assert point.sign_pub == load_identity(keys_file).public_keys().to_dict()["sign_pub"]


def test_second_use_of_a_token_is_refused_to_other_keys(center, node_dir, tmp_path):
    from node.db import close_database
    from node.enroll import EnrollRefused, enroll
    from node.setup import init_node
    token = center.token("07024")
    first = enroll(node_dir, center.url, token)
    assert enroll(node_dir, center.url, token) == first      # the same keys: answered again
    close_database()
    init_node(tmp_path / "twin", "07024", "Quan Lạn")
    with pytest.raises(EnrollRefused) as exc:
        enroll(tmp_path / "twin", center.url, token)
    assert exc.value.code == "enroll_token_used"


def test_expired_token_is_refused(center, node_dir):
    from node.enroll import EnrollRefused, enroll
    token = center.token("07024", ttl=timedelta(minutes=1))

    from central.models import EnrollToken
    with center.db():
        EnrollToken.update(expires_at=legaltime.now() - timedelta(seconds=1)).execute()
    with pytest.raises(EnrollRefused) as exc:
        enroll(node_dir, center.url, token)
    assert exc.value.code == "enroll_token_expired"


def test_token_for_another_point_is_refused(center, node_dir):
    from node.enroll import EnrollRefused, enroll
    with pytest.raises(EnrollRefused) as exc:
        enroll(node_dir, center.url, center.token("07006"))
    assert exc.value.code == "enroll_token_wrong_unit"


def test_wrong_center_fingerprint_is_refused_before_the_token_is_spent(center, node_dir):
    from node.enroll import EnrollRefused, enroll
    token = center.token("07024")
    with pytest.raises(EnrollRefused) as exc:
        enroll(node_dir, center.url, token, expected_fingerprint="0000-0000-0000-0000")
    assert exc.value.code == "wrong_center_key"
    enroll(node_dir, center.url, token,                   # the token still works
           expected_fingerprint=center.identity().public_keys().fingerprint())


def test_a_center_with_other_keys_than_the_pinned_ones_is_refused(center, node_dir, tmp_path):
    from node.enroll import EnrollRefused, enroll
    enroll(node_dir, center.url, center.token("07024"))
    impostor = Center(tmp_path / "impostor").start()
    try:
        with pytest.raises(EnrollRefused) as exc:
            enroll(node_dir, impostor.url, impostor.token("07024"))
        assert exc.value.code == "wrong_center_key"
    finally:
        impostor.stop()


def test_cli_enroll_and_sync_exit_codes(center, tmp_path):
    import subprocess
    import sys

    from tests.procs import motcua
    folder = tmp_path / "cli-node"
    motcua("node", "init", "--data-dir", folder, "--unit-code", "07006", "--name", "Minh Châu")
    out = motcua("node", "enroll", "--data-dir", folder, "--central", center.url,
                 "--token", center.token("07006", "Minh Châu"))
    assert "07006" in out
    again = subprocess.run([sys.executable, "-m", "motcua", "node", "sync", "--data-dir",
                            str(folder)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
