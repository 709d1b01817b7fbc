"""Shared fixtures of the center's tests: each test gets a fresh center database on SQLite *and* on
PostgreSQL (a throwaway cluster started once per session), plus event factories.

Import what a module needs: `from central_fixtures import *  # noqa: F401,F403`.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from pg import Cluster, missing_reason

from sync.events import Event

OFFICER_PASSWORD = "mat-khau-dai-1"
_CLUSTER: dict[str, Cluster] = {}      # one cluster per session, whichever module asks first

__all__ = ["pg_cluster", "backend", "central_db", "central_app", "officer_token", "api",
           "stamp", "received", "transitioned", "corrected", "attached", "add_point",
           "OFFICER_PASSWORD"]


@pytest.fixture(scope="session")
def pg_cluster(request):
    """A running throwaway PostgreSQL, or None when the server binaries are missing."""
    if missing_reason():
        return None
    if "c" not in _CLUSTER:
        _CLUSTER["c"] = Cluster(fast=True).start()
        request.addfinalizer(_CLUSTER["c"].stop)
    return _CLUSTER["c"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, pg_cluster):
    """The database URL for this run: None (SQLite in the data dir) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    if pg_cluster is None:
        pytest.skip(missing_reason())
    return pg_cluster.create_database()


@pytest.fixture
def central_db(tmp_path, backend):
    from central.db import close_database, open_database
    database = open_database(tmp_path / "central", backend)
    yield database
    close_database()


@pytest.fixture
def central_app(tmp_path, backend):
    from central.db import close_database
    from motcua.apps import create_central_app
    app = create_central_app({"DATA_DIR": str(tmp_path / "central"), "DATABASE_URL": backend,
                             "TESTING": True})
    yield app
    close_database()


@pytest.fixture
def officer_token(central_app):
    from central.users import add_user, create_token
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    return create_token("hoa")


@pytest.fixture
def api(central_app, officer_token):
    """A test client that sends the officer's bearer token."""
    client = central_app.test_client()

    class Api:
        def __getattr__(self, method):
            def call(url, token=officer_token, **kwargs):
                headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
                return getattr(client, method)(url, headers=headers, **kwargs)
            return call
    return Api()


def csrf(html: str) -> str:
    """The CSRF token of a page's form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username="hoa", password=OFFICER_PASSWORD):
    """Log `client` in through the officers' login form (asserting it redirects); returns it."""
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf(page)}).status_code == 302
    return client


def load(events, source="07024", *, now: datetime):
    """Apply `events` as if point `source` had sent them, in one write transaction, at `now`."""
    from central.apply import apply_events
    from central.db import write_transaction
    with write_transaction():
        apply_events(events, source_point=source, now=now)


def stamp(ms: int, counter: int = 0) -> str:
    return f"{ms:015d}-{counter:05d}"


def _ev(kind, uid, origin, hlc, payload, actor=None):
    return Event(id=uuid.uuid4().hex, kind=kind, dossier_id=uid, origin=origin,
                 actor=actor or f"lan@{origin}", hlc=hlc, payload=payload)


def received(uid, origin="07024", hlc=None, *, code=None, received_at="2026-03-02T09:00:00",
             due_at="2026-03-06T09:00:00", procedure="1.001193", id_number="022085001234",
             name="Nguyễn Văn An", phone="0912345678", channel=1):
    return _ev("dossier.received", uid, origin, hlc or stamp(1_772_000_000_000), {
        "code": code or f"{origin}-260302-{uid[:4]}", "lookup_secret": "ABC123",
        "procedure_code": procedure, "catalogue_version": "2026.1", "channel": channel,
        "status": 2, "applicant": {"full_name": name, "id_number": id_number,
                                   "date_of_birth": "1985-03-12", "phone": phone,
                                   "address": "Thôn Đông, xã Quan Lạn"},
        "owner": None, "received_at": received_at, "due_at": due_at,
        "fee": {"vnd": 0, "paid": False}, "book": {"volume": "2026", "number": 1}, "notes": None})


def transitioned(uid, frm, to, hlc, origin="07024", at="2026-03-03T10:00:00", **extra):
    payload = {"from": frm, "to": to, "reason": extra.pop("reason", None), "at": at,
               "due_at": extra.pop("due_at", None), "returned_to": extra.pop("returned_to", None)}
    return _ev("dossier.transitioned", uid, origin, hlc, payload)


def corrected(uid, fields, hlc, origin="07024"):
    return _ev("dossier.corrected", uid, origin, hlc, {"fields": fields})


def attached(uid, sha, hlc, origin="07024", requirement="1.001193-d1"):
    return _ev("attachment.added", uid, origin, hlc, {"sha256": sha, "size": 1234,
                                                      "mime": "image/png",
                                                      "requirement_id": requirement,
                                                      "filename": "scan.png"})


def add_point(unit_code="07024", name="Quan Lạn"):
    from central.models import Point
    return Point.create(unit_code=unit_code, name=name, sign_pub="x", enc_pub="y",
                        key_status="active", enrolled_at=datetime(2026, 3, 1))
