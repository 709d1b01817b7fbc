"""The center's accounts managed in its UI: an admin adds an officer, resets a password (the old
one and every open session stop working), disables an account (it cannot log in any more); not
without the CSRF token, never by an officer or a leader, never oneself; the language switch."""
from __future__ import annotations

import re

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, username, password=OFFICER_PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": _csrf(page)})


@pytest.fixture
def admin(central_app):
    from central.users import add_user
    add_user("quantri", OFFICER_PASSWORD, "admin", "Quản Trị Viên")
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    client = central_app.test_client()
    assert _login(client, "quantri").status_code == 302
    return client


def test_an_admin_adds_resets_and_disables(admin, central_app):
    page = admin.get("/users/").get_data(as_text=True)
    assert 'id="user-hoa"' in page and 'id="disable-quantri"' not in page     # never oneself
    token = _csrf(page)
    r = admin.post("/users/", data={"csrf_token": token, "username": "minh", "role": "officer",
                                    "full_name": "Trần Văn Minh", "password": "mat-khau-moi-1"})
    assert r.status_code == 302
    minh = central_app.test_client()
    assert _login(minh, "minh", "mat-khau-moi-1").status_code == 302
    weak = admin.post("/users/", data={"csrf_token": token, "username": "nam", "role": "officer",
                                       "password": "123"})
    assert weak.status_code == 422 and 'id="users-error"' in weak.get_data(as_text=True)
    assert 'value="nam"' in weak.get_data(as_text=True)                       # the form kept
    taken = admin.post("/users/", data={"csrf_token": token, "username": "hoa", "role": "officer",
                                        "password": "mat-khau-moi-1"})
    assert taken.status_code == 409
    bad_role = admin.post("/users/", data={"csrf_token": token, "username": "x1", "role": "god",
                                           "password": "mat-khau-moi-1"})
    assert bad_role.status_code == 422

    # A new password ends the sessions open with the old one; the old one no longer works.
    assert admin.post("/users/minh/password", data={"csrf_token": token,
                                                    "password": "mat-khau-khac-2"}).status_code == 302
    assert minh.get("/dossiers/").status_code == 302                            # back to login
    assert _login(central_app.test_client(), "minh", "mat-khau-moi-1").status_code == 401
    assert _login(central_app.test_client(), "minh", "mat-khau-khac-2").status_code == 302

    assert admin.post("/users/minh/disable", data={"csrf_token": token}).status_code == 302
    assert _login(central_app.test_client(), "minh", "mat-khau-khac-2").status_code == 401
    assert 'id="user-minh"' in admin.get("/users/").get_data(as_text=True)
    own = admin.post("/users/quantri/disable", data={"csrf_token": token})
    assert own.status_code == 409
    assert admin.post("/users/ai-do/disable", data={"csrf_token": token}).status_code == 422


def test_only_an_admin_and_only_with_the_token(admin, central_app):
    assert admin.post("/users/", data={"username": "x2", "role": "officer",
                                       "password": "mat-khau-moi-1"}).status_code == 400
    for who in ("hoa", "lanh"):
        client = central_app.test_client()
        _login(client, who)
        assert client.get("/users/").status_code == 403
        token = _csrf(client.get("/dossiers/").get_data(as_text=True))
        assert client.post("/users/hoa/disable", data={"csrf_token": token}).status_code == 403
        assert 'id="nav-users"' not in client.get("/dossiers/").get_data(as_text=True)
    anonymous = central_app.test_client()
    assert anonymous.get("/users/").status_code == 302
    from central.models import User
    assert User.get(User.username == "hoa").active


def test_the_language_switch(admin):
    token = _csrf(admin.get("/dossiers/").get_data(as_text=True))
    r = admin.post("/language", data={"csrf_token": token, "lang": "en", "back": "/users/"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/users/")
    page = admin.get("/users/").get_data(as_text=True)
    assert "Add an account" in page and 'lang="en"' in page
    away = admin.post("/language", data={"csrf_token": token, "lang": "vi",
                                         "back": "https://example.org/"})
    assert "example.org" not in away.headers["Location"]
    assert "Thêm tài khoản" in admin.get("/users/").get_data(as_text=True)
