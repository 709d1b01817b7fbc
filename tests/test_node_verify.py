"""`node verify` re-folds the journal with sync.merge and finds rows that drifted from it."""
from __future__ import annotations

from click.testing import CliRunner

from tests.conftest import dossier_body, png_bytes


def _busy_node():
    from node import reception
    from node.models import db  # noqa: F401
    store = __import__("flask").current_app.extensions["motcua.blobs"]
    a = reception.receive_dossier(dossier_body(), "lan@07024")
    reception.transition(a.code, 4, "lan@07024")
    reception.transition(a.code, 5, "lan@07024", reason="Bổ sung tờ khai")
    reception.transition(a.code, 4, "lan@07024")
    reception.correct_applicant(a.code, {"phone": "0987654321"}, "lan@07024")
    reception.attach_scan(a.code, png_bytes(900, seed=1), "1.001193-d1", "lan@07024", store,
                          max_bytes=10**7)
    sha = reception.attach_scan(a.code, png_bytes(900, seed=2), "1.001193-d2", "lan@07024", store,
                                max_bytes=10**7).sha256
    reception.remove_attachment(a.code, sha, "lan@07024")
    reception.transition(a.code, 9, "lan@07024")
    reception.transition(a.code, 10, "lan@07024", returned_to="Nguyễn Văn Bình")
    reception.rate(a.code, "satisfied", "lan@07024")
    b = reception.receive_dossier(dossier_body(), "lan@07024")
    return a, b


def test_clean_node_verifies(app):
    from node.verify import verify_node
    with app.app_context():
        _busy_node()
        checked, problems = verify_node()
    assert checked == 2 and problems == []


def test_drift_is_reported_and_cli_fails(app, node_dir):
    from node.cli import node_group
    from node.models import Dossier
    with app.app_context():
        a, _ = _busy_node()
    Dossier.update(status=4).where(Dossier.code == a.code).execute()
    result = CliRunner().invoke(node_group, ["verify", "--data-dir", str(node_dir)])
    assert result.exit_code == 1
    assert f"{a.code}: status lưu là 4, nhật ký cho 10" in result.output
