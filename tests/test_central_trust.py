"""Trust boundaries of the center (officers' UI, API, the enrollment endpoint that needs no login):
bad input is a clear 4xx in Vietnamese, sessions end, the login throttle is per account in the
database, users can be disabled and tokens revoked by command."""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD, add_point, received
from click.testing import CliRunner

from tests.test_node_bad_input import VIETNAMESE

HTML = {"Accept": "text/html"}
MiB = 1024 * 1024
DEEP = '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}"


def _csrf(client, url="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def _login(client, username="hoa", password=OFFICER_PASSWORD, next_=None, ip="127.0.0.1"):
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"username": username, "password": password,
                                  "csrf_token": _csrf(client)}, environ_base={"REMOTE_ADDR": ip})


def run(*args, input=None):
    from motcua.cli import main
    return CliRunner().invoke(main, ["central", *[str(a) for a in args]], input=input)


@pytest.fixture
def data_dir(central_app, tmp_path, backend):
    """The test center's folder, made usable by the `motcua central` commands (same database)."""
    folder = tmp_path / "central"
    (folder / "central.cfg").write_text(f"DATABASE_URL = {backend!r}\n")
    return folder


@pytest.fixture
def seeded(central_app, officer_token):
    from central.apply import apply_events
    from central.db import write_transaction
    from central.users import add_user
    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    add_point()
    with write_transaction():
        apply_events([received("d1", code="07024-260302-0001")], source_point="07024",
                     now=datetime(2026, 3, 5, 12, 0))
    return "07024-260302-0001"


def test_deep_json_is_a_400_even_where_no_login_is_needed(central_app):
    client = central_app.test_client()
    resp = client.post("/sync/v1/enroll", data=DEEP, content_type="application/json")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "json_too_deep" and VIETNAMESE.search(error["message"])


def test_deep_json_and_lone_surrogates_on_the_api(seeded, api):
    for url in (f"/api/v1/dossiers/{seeded}/transitions", "/api/v1/conflicts/x/resolve",
                f"/api/v1/dossiers/{seeded}/official-code"):
        resp = api.post(url, data=DEEP, content_type="application/json")
        assert resp.status_code == 400, url
    resp = api.post(f"/api/v1/dossiers/{seeded}/transitions",
                    data='{"to": 4, "reason": "\\ud800"}', content_type="application/json")
    assert resp.status_code in (400, 422)
    assert resp.get_json()["error"]["code"] == "bad_unicode"


def test_one_request_cap_documented_once_and_fitting_a_scan_chunk():
    """MAX_REQUEST_BYTES is declared once, is what docs/protocol.md says, and fits the largest
    request a point makes: one tus PATCH of a 4 MiB scan chunk's parcel, with its overhead."""
    from pathlib import Path

    from central.config import SETTINGS, defaults
    from sync.transport import DEFAULT_CHUNK_BYTES
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    cap = defaults()["MAX_REQUEST_BYTES"]
    assert cap == 8 * MiB and cap >= DEFAULT_CHUNK_BYTES + 64 * 1024
    protocol = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
    said = set(re.findall(r"`MAX_REQUEST_BYTES`\W*\(?(\d+) MiB", protocol))
    assert said == {"8"}, said


def test_a_request_larger_than_the_cap_is_a_413(central_app):
    assert central_app.config["MAX_CONTENT_LENGTH"] == central_app.config["MAX_REQUEST_BYTES"] == 8 * MiB
    resp = central_app.test_client().post("/sync/v1/rotate", data=b"x" * (8 * MiB + 1),
                                          content_type="application/octet-stream")
    assert resp.status_code == 413
    big_json = '{"token": "' + "x" * (8 * MiB) + '"}'
    resp = central_app.test_client().post("/sync/v1/enroll", data=big_json,
                                          content_type="application/json")
    assert resp.status_code == 413 and VIETNAMESE.search(resp.get_json()["error"]["message"])


def test_the_result_form_alone_takes_a_result_file_over_the_request_cap(seeded, central_app):
    """An officer's result file may be MAX_RESULT_BYTES (20 MiB), more than MAX_REQUEST_BYTES:
    that one form takes it from a logged-in officer (here 9 MiB reaches the view, which refuses
    it for not being a PDF); from anyone else, or on any other route, a body as large is a 413
    before it is read."""
    import io
    body = b"\x89PNG" + b"\0" * (9 * MiB)
    anonymous = central_app.test_client().post(        # no session: held to MAX_REQUEST_BYTES
        f"/dossiers/{seeded}/transition", content_type="multipart/form-data",
        data={"to": "9", "result_file": (io.BytesIO(body), "anh.png")}, headers=HTML)
    assert anonymous.status_code == 413
    client = central_app.test_client()
    _login(client)
    token = _csrf(client, f"/dossiers/{seeded}")
    resp = client.post(f"/dossiers/{seeded}/transition", content_type="multipart/form-data",
                       data={"csrf_token": token, "to": "9",
                             "result_file": (io.BytesIO(body), "anh.png")}, headers=HTML)
    assert resp.status_code == 422 and "PDF" in resp.text
    resp = client.post(f"/dossiers/{seeded}/new-due", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(body), "x.bin")}, headers=HTML)
    assert resp.status_code == 413


@pytest.mark.parametrize("page", ["10000000000000000000", "99999999999", "0", "x"])
def test_huge_page_numbers_are_a_4xx(seeded, api, central_app, page):
    resp = api.get("/api/v1/dossiers", query_string={"page": page})
    assert 400 <= resp.status_code < 500
    assert VIETNAMESE.search(resp.get_json()["error"]["message"])
    client = central_app.test_client()
    _login(client)
    ui = client.get(f"/dossiers/?page={page}", headers=HTML)
    assert 400 <= ui.status_code < 500 and "Traceback" not in ui.text


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/\\evil.example",
                                    "/%0d%0a/evil.example", "https://evil.example", "%09//evil"])
def test_login_never_redirects_off_site(seeded, central_app, target):
    resp = _login(central_app.test_client(), next_=target)
    assert resp.status_code == 302
    cleaned = re.sub(r"[\x00-\x20\x7f\\]", "/", resp.headers["Location"])
    parts = urlsplit(cleaned)
    assert not parts.scheme and not parts.netloc and not cleaned.startswith("//"), target


def test_cookie_dead_after_logout_and_after_disable(seeded, central_app, data_dir):
    client = central_app.test_client()
    assert _login(client).status_code == 302
    saved = client.get_cookie("motcua_center_session").value

    def replay():
        other = central_app.test_client()
        other.set_cookie("motcua_center_session", saved)
        return other.get("/conflicts/", headers=HTML)
    assert replay().status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client, "/conflicts/")})
    assert replay().status_code == 302
    assert _login(client).status_code == 302
    saved = client.get_cookie("motcua_center_session").value
    out = run("user", "disable", "--data-dir", data_dir, "--username", "hoa")
    assert out.exit_code == 0, out.output
    assert replay().status_code == 302
    assert _login(central_app.test_client()).status_code == 401


def test_login_lock_is_per_account_whatever_the_address(seeded, central_app):
    central_app.config["LOGIN_MAX_FAILURES"] = 3
    client = central_app.test_client()
    for i in range(3):
        assert _login(client, password="sai-mat-khau", ip=f"10.0.0.{i}").status_code == 401
    assert _login(client, ip="10.9.9.9").status_code == 429
    assert _login(client, username="lanh").status_code == 302


def test_disable_and_revoke_commands(seeded, api, central_app, officer_token, data_dir):
    from central.users import create_token
    leader_token = create_token("lanh")
    assert api.get("/api/v1/dossiers", token=leader_token).status_code == 200
    out = run("token", "revoke", "--data-dir", data_dir, "--token", leader_token)
    assert out.exit_code == 0, out.output
    assert api.get("/api/v1/dossiers", token=leader_token).status_code == 401
    assert api.get("/api/v1/dossiers").status_code == 200
    assert run("user", "disable", "--data-dir", data_dir, "--username", "hoa").exit_code == 0
    assert api.get("/api/v1/dossiers").status_code == 401
    listing = run("user", "list", "--data-dir", data_dir)
    assert "hoa" in listing.output and "disabled" in listing.output


def test_answers_are_not_stored(seeded, api, central_app):
    for resp in (api.get(f"/api/v1/dossiers/{seeded}"), api.get("/api/v1/dossiers"),
                 api.get("/api/v1/nodes"), central_app.test_client().get("/login")):
        assert resp.headers.get("Cache-Control") == "no-store"


def test_a_center_database_from_before_sessions_upgrades_in_place(tmp_path):
    from peewee import SqliteDatabase

    from central.db import close_database, open_database
    from central.migrations import LATEST, migrate, schema_version
    folder = tmp_path / "old"
    folder.mkdir()
    old = SqliteDatabase(str(folder / "central.db"))
    migrate(old, target=3)
    old.close()
    database = open_database(folder)
    try:
        assert schema_version(database) == LATEST
        from central.users import add_user, log_in, start_session, user_for_session
        add_user("hoa", OFFICER_PASSWORD, "officer")
        user = log_in("hoa", OFFICER_PASSWORD, max_failures=5, lock_seconds=300)
        assert user_for_session(start_session(user), max_age_hours=1) == user
    finally:
        close_database()
