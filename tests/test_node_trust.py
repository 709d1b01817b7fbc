"""Trust boundaries of the clerk's node (UI and API): what an attacker sends must get a clear 4xx
in Vietnamese, never a 500; sessions end when they should; guessing is slowed per account and per
dossier, in the database, without locking the hall's kiosk for everyone."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from tests.conftest import CLERK_PASSWORD, dossier_body
from tests.test_node_bad_input import VIETNAMESE

HTML = {"Accept": "text/html"}


def csrf_of(client, url="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def login(client, username="lan", password=CLERK_PASSWORD, next_=None, ip="127.0.0.1"):
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"username": username, "password": password,
                                  "csrf_token": csrf_of(client)}, headers=HTML,
                       environ_base={"REMOTE_ADDR": ip})


def run(*args, input=None):
    from motcua.cli import main
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def code(api):
    return api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]


def _vietnamese_error(resp) -> dict:
    error = resp.get_json()["error"]
    assert VIETNAMESE.search(error["message"]), error
    return error


# --- bounded JSON --------------------------------------------------------------------------------

def test_deeply_nested_json_is_a_400_not_a_500(api, code):
    deep = '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}"
    for method, url in [("post", "/api/v1/dossiers"), ("patch", f"/api/v1/dossiers/{code}"),
                        ("post", f"/api/v1/dossiers/{code}/transitions"),
                        ("post", f"/api/v1/dossiers/{code}/rating"),
                        ("post", "/api/v1/conflicts/x/resolve")]:
        resp = getattr(api, method)(url, data=deep, content_type="application/json")
        assert resp.status_code == 400, (url, resp.status_code)
        assert _vietnamese_error(resp)["code"] == "json_too_deep"


def test_json_of_reasonable_depth_still_works(api, code):
    resp = api.patch(f"/api/v1/dossiers/{code}", json={"applicant": {"phone": "0987654321"}})
    assert resp.status_code == 200


def test_oversized_json_is_a_413_before_it_is_parsed(api):
    big = '{"notes": "' + "x" * (3 * 1024 * 1024) + '"}'
    resp = api.post("/api/v1/dossiers", data=big, content_type="application/json")
    assert resp.status_code == 413
    _vietnamese_error(resp)


def test_lone_surrogate_in_a_name_is_refused_in_vietnamese(api, code, node_dir):
    body = ('{"procedure_code": "1.001193", "channel": 1, "applicant": {"full_name": "An\\ud800", '
            '"id_number": "022085001234", "date_of_birth": "1985-03-12", "phone": "0912345678", '
            '"address": "Thôn Đông"}}')
    resp = api.post("/api/v1/dossiers", data=body, content_type="application/json")
    assert resp.status_code in (400, 422)
    assert _vietnamese_error(resp)["code"] == "bad_unicode"
    resp = api.patch(f"/api/v1/dossiers/{code}", data='{"applicant": {"full_name": "\\udfff"}}',
                     content_type="application/json")
    assert resp.status_code in (400, 422)
    # a proper pair (an emoji) is real Unicode and reaches the validators as usual
    resp = api.patch(f"/api/v1/dossiers/{code}", data='{"notes": "\\ud83d\\ude00"}',
                     content_type="application/json")
    assert resp.status_code != 500


# --- numbers in the query string -----------------------------------------------------------------

@pytest.mark.parametrize("args", [{"page": "10000000000000000000"}, {"page": "99999999999"},
                                  {"per_page": "10000000000000000000"}, {"page": "-1"},
                                  {"page": "1e9"}, {"page": "١"}])
def test_huge_or_odd_page_numbers_are_a_4xx(api, args):
    resp = api.get("/api/v1/dossiers", query_string=args)
    assert 400 <= resp.status_code < 500, (args, resp.status_code)
    _vietnamese_error(resp)


def test_ui_page_numbers_are_checked_too(client):
    login(client)
    for page in ("10000000000000000000", "99999999999", "-3", "abc"):
        resp = client.get(f"/find?q=an&page={page}", headers=HTML)
        assert resp.status_code in (200, 400, 422), (page, resp.status_code)
        assert "Traceback" not in resp.text


# --- redirects after login -----------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/\\evil.example",
                                    "%20//evil.example", "/%0a/evil.example", "https://evil.example",
                                    "javascript:alert(1)", "/%5c/evil.example", "\\\\evil.example",
                                    "/%00/evil.example", "///evil.example", "http:/evil.example"])
def test_login_never_redirects_off_site(client, target):
    resp = login(client, next_=target)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    cleaned = re.sub(r"[\x00-\x20\x7f\\]", "/", location)
    parts = urlsplit(cleaned)
    assert not parts.scheme and not parts.netloc, (target, location)
    assert cleaned.startswith("/") and not cleaned.startswith("//"), (target, location)


def test_login_still_goes_back_to_a_page_here(client):
    resp = login(client, next_="/find%3Fq%3Dan%26page%3D2")
    assert resp.headers["Location"] == "/find?q=an&page=2"


# --- sessions end ------------------------------------------------------------------------------

def _stolen_cookie(client) -> str:
    return client.get_cookie("motcua_session").value


def _replay(app, cookie):
    other = app.test_client()
    other.set_cookie("motcua_session", cookie)
    return other.get("/today", headers=HTML)


def test_a_cookie_saved_before_logout_is_dead_after_it(app, client):
    assert login(client).status_code == 302
    saved = _stolen_cookie(client)
    assert _replay(app, saved).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client, "/today")})
    resp = _replay(app, saved)
    assert resp.status_code == 302 and "/login" in resp.location


def test_password_change_and_disable_end_every_session(app, client, node_dir):
    assert login(client).status_code == 302
    saved = _stolen_cookie(client)
    out = run("node", "user", "reset-password", "--data-dir", node_dir, "--username", "lan",
              input="mat-khau-moi-2\n")
    assert out.exit_code == 0, out.output
    assert _replay(app, saved).status_code == 302
    assert login(client, password="mat-khau-moi-2").status_code == 302
    saved = _stolen_cookie(client)
    assert run("node", "user", "disable", "--data-dir", node_dir, "--username", "lan").exit_code == 0
    assert _replay(app, saved).status_code == 302


def test_a_session_survives_a_restart_of_the_app(app, client, node_dir):
    from motcua.apps import create_node_app
    assert login(client).status_code == 302
    again = create_node_app({"DATA_DIR": str(node_dir), "TESTING": True})
    assert _replay(again, _stolen_cookie(client)).status_code == 200


# --- login throttle ------------------------------------------------------------------------------

def test_login_lock_is_per_account_and_kept_in_the_database(app, client, node_dir):
    from motcua.apps import create_node_app
    app.config["LOGIN_MAX_FAILURES"] = 3
    for i in range(3):
        assert login(client, password="sai-mat-khau", ip=f"10.0.0.{i}").status_code == 401
    assert login(client, ip="10.9.9.9").status_code == 429          # another address: still locked
    assert login(client, username="quan").status_code == 302         # another account is not
    again = create_node_app({"DATA_DIR": str(node_dir), "TESTING": True, "LOGIN_MAX_FAILURES": 3})
    assert login(again.test_client()).status_code == 429               # a restart forgets nothing


def test_a_flood_of_other_usernames_does_not_unlock(app, client):
    from node.models import db
    from node.users import record_login_failure
    app.config["LOGIN_MAX_FAILURES"] = 3
    for _ in range(3):
        login(client, password="sai-mat-khau")
    with db.atomic():
        for i in range(10_001):
            record_login_failure(f"khong-co-{i}", max_failures=3, lock_seconds=300)
    for i in range(3):                      # and the last few through the login form itself
        login(client, username=f"nguoi-la-{i}", password="x")
    resp = login(client)
    assert resp.status_code == 429 and "thử lại sau" in resp.text


def test_unknown_and_known_usernames_cost_the_same_work(app, client, monkeypatch):
    import hashlib
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(hashlib, "scrypt", counting)
    timings = {}
    for name in ("lan", "khong-co-ai", "lan", "khong-co-ai", "lan", "khong-co-ai"):
        calls.clear()
        started = time.perf_counter()
        assert login(client, username=name, password="sai-mat-khau").status_code == 401
        timings.setdefault(name, []).append(time.perf_counter() - started)
        assert len(calls) == 1, name
    assert min(timings["khong-co-ai"]) > 0.4 * min(timings["lan"])


# --- disabling users and revoking tokens ---------------------------------------------------------

def test_disable_command_stops_login_sessions_and_tokens(app, api, client, node_dir, token):
    assert api.get("/api/v1/procedures").status_code == 200
    out = run("node", "user", "disable", "--data-dir", node_dir, "--username", "lan")
    assert out.exit_code == 0 and "lan" in out.output
    assert api.get("/api/v1/procedures").status_code == 401
    resp = login(client)
    assert resp.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu." in resp.text
    listing = run("node", "user", "list", "--data-dir", node_dir)
    assert listing.exit_code == 0 and re.search(r"lan\s.*khoá|lan\s.*disabled", listing.output)
    nobody = run("node", "user", "disable", "--data-dir", node_dir, "--username", "ma")
    assert nobody.exit_code != 0 and "Không có người dùng" in nobody.output


def test_token_revoke_command(app, api, node_dir, token):
    from node.users import create_token
    second = create_token("lan", "script")
    out = run("node", "token", "revoke", "--data-dir", node_dir, "--token", token)
    assert out.exit_code == 0, out.output
    assert api.get("/api/v1/procedures").status_code == 401
    client = app.test_client()
    ok = client.get("/api/v1/procedures", headers={"Authorization": f"Bearer {second}"})
    assert ok.status_code == 200
    out = run("node", "token", "revoke", "--data-dir", node_dir, "--username", "lan")
    assert out.exit_code == 0 and "1" in out.output
    gone = client.get("/api/v1/procedures", headers={"Authorization": f"Bearer {second}"})
    assert gone.status_code == 401
    bad = run("node", "token", "revoke", "--data-dir", node_dir, "--token", "mc_khong-co")
    assert bad.exit_code != 0 and "token" in bad.output.lower()


def test_admin_can_disable_a_clerk_from_the_page(app, client):
    second = app.test_client()
    assert login(second).status_code == 302
    assert second.get("/users/", headers=HTML).status_code == 403       # clerks may not
    assert login(client, username="quan").status_code == 302
    page = client.get("/users/", headers=HTML)
    assert page.status_code == 200 and "lan" in page.text
    csrf = csrf_of(client, "/users/")
    resp = client.post("/users/lan/disable", data={"csrf_token": csrf}, headers=HTML)
    assert resp.status_code == 302
    assert second.get("/today", headers=HTML).status_code == 302
    assert login(app.test_client()).status_code == 401
    resp = client.post("/users/quan/disable", data={"csrf_token": csrf}, headers=HTML)
    assert resp.status_code == 409          # an admin does not lock themself out


# --- public lookup -------------------------------------------------------------------------------

def test_many_citizens_typos_do_not_lock_the_kiosk(app, api, client):
    app.config["LOOKUP_MAX_FAILURES"] = 3
    body = api.post("/api/v1/dossiers", json=dossier_body()).get_json()
    for i in range(30):                               # thirty citizens, one typo each
        assert client.get(f"/lookup?code=07024-260101-{i:04d}&s=AAAAAA").status_code == 404
    good = client.get(f"/lookup?code={body['code']}&s={body['lookup_secret']}")
    assert good.status_code == 200


def test_guessing_one_dossiers_secret_is_stopped_for_that_dossier(app, api, client):
    app.config["LOOKUP_MAX_FAILURES"] = 3
    body = api.post("/api/v1/dossiers", json=dossier_body()).get_json()
    for i in range(3):
        client.get(f"/lookup?code={body['code']}&s=AAAAA{i}", environ_base={"REMOTE_ADDR": f"10.1.0.{i}"})
    locked = client.get(f"/lookup?code={body['code']}&s={body['lookup_secret']}", headers=HTML,
                        environ_base={"REMOTE_ADDR": "10.2.0.1"})
    assert locked.status_code == 429 and "thử lại sau" in locked.text
    assert locked.headers["Cache-Control"] == "no-store"


def test_one_address_has_a_high_cap(app, client):
    app.config["LOOKUP_ADDRESS_MAX_FAILURES"] = 10
    for i in range(10):
        client.get(f"/lookup?code=07024-260101-{i:04d}&s=AAAAAA")
    assert client.get("/lookup?code=07024-260101-9999&s=AAAAAA").status_code == 429
    other = client.get("/lookup?code=07024-260101-9999&s=AAAAAA",
                       environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 404


# --- caching -------------------------------------------------------------------------------------

def test_answers_with_personal_data_are_not_stored(api, client, code):
    for resp in (api.get(f"/api/v1/dossiers/{code}"), api.get("/api/v1/dossiers?q=an"),
                 api.get("/api/v1/dossiers/khong-co"), client.get("/lookup")):
        assert resp.headers.get("Cache-Control") == "no-store", resp.request.path
    login(client)
    assert client.get(f"/dossiers/{code}", headers=HTML).headers["Cache-Control"] == "no-store"
    assert client.get("/book.csv").headers["Cache-Control"] == "no-store"


def test_a_node_database_from_before_sessions_upgrades_in_place(tmp_path):
    from peewee import SqliteDatabase

    from motcua.apps import create_node_app
    from motcua.passwords import hash_password
    from node.db import PRAGMAS, close_database
    from node.migrations import LATEST, migrate, schema_version
    folder = tmp_path / "old"
    folder.mkdir()
    old = SqliteDatabase(str(folder / "node.db"), pragmas=PRAGMAS)
    migrate(old, target=4)
    old.execute_sql("INSERT INTO user (username, full_name, role, password_hash, active, created_at)"
                    " VALUES ('lan', 'Lan', 'clerk', ?, 1, '2026-01-05 08:00:00')",
                    (hash_password(CLERK_PASSWORD),))
    old.close()
    try:
        app = create_node_app({"DATA_DIR": str(folder), "TESTING": True})
        client = app.test_client()
        assert login(client).status_code == 302
        assert client.get("/today", headers=HTML).status_code == 200
        from node.db import db
        assert schema_version(db.obj) == LATEST
    finally:
        close_database()
