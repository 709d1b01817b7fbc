"""`central point list / revoke`: a revoked point's next parcel is refused and logged."""
from __future__ import annotations

from click.testing import CliRunner

from motcua import legaltime
from motcua.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_list_and_revoke(tmp_path):

    from central.enrollment import redeem_enroll_token
    from sync.crypto import generate_identity
    d = tmp_path / "center"
    assert run("central", "init", "--data-dir", d).exit_code == 0
    token = run("central", "enroll-token", "--data-dir", d, "--unit-code", "07024", "--name",
                "Quan Lạn").output.strip().split()[-1]
    redeem_enroll_token(token, "07024", generate_identity().public_keys(), now=legaltime.now())
    listed = run("central", "point", "list", "--data-dir", d)
    assert listed.exit_code == 0 and "07024" in listed.output and "active" in listed.output
    revoked = run("central", "point", "revoke", "--data-dir", d, "--unit-code", "07024")
    assert revoked.exit_code == 0 and "thu hồi" in revoked.output
    assert "revoked" in run("central", "point", "list", "--data-dir", d).output
    unknown = run("central", "point", "revoke", "--data-dir", d, "--unit-code", "99999")
    assert unknown.exit_code != 0
