"""Periodic jobs: one scheduler, one thread that sleeps until a job is due, "run now" at once; the
node's three jobs (sync, retention, clean-up) through the same code path."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest

from motcua import legaltime
from motcua.jobs import Jobs
from tests.conftest import dossier_body, png_bytes, upload


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_the_thread_sleeps_until_the_next_job_and_run_soon_wakes_it_at_once():
    ran = []
    jobs = Jobs()
    jobs.every(3600, "sync", lambda: ran.append("sync"))
    jobs.every(600, "sweep", lambda: ran.append("sweep"))
    assert 590 < jobs.seconds_to_next() <= 600          # it waits for the sweep, not one second
    jobs.start()
    try:
        time.sleep(0.2)
        assert ran == []                                 # nothing due: nothing ran
        asked = time.monotonic()
        jobs.run_soon("sync")
        assert _wait_for(lambda: ran == ["sync"], timeout=2)
        assert time.monotonic() - asked < 1.0            # at once, not at the next poll
        # `schedule` keeps its times on the PC's own clock (not legal time: only intervals matter)
        assert jobs.next_run("sync") > datetime.now() + timedelta(seconds=3590)   # counted anew
    finally:
        jobs.stop(timeout=2)
    assert not jobs.thread.is_alive()


def test_a_job_that_raises_leaves_the_others_running():
    ran = []
    jobs = Jobs()

    def broken():
        raise RuntimeError("disk gone")
    jobs.every(60, "broken", broken)
    jobs.every(60, "fine", lambda: ran.append(1))
    jobs.run_soon("broken")
    jobs.run_soon("fine")
    jobs.tick()                                          # the caller's thread, same code path
    assert ran == [1]
    with pytest.raises(KeyError):
        jobs.run_soon("nothing")


def test_run_soon_before_start_runs_once_started_and_stop_ends_the_thread():
    started = threading.Event()
    jobs = Jobs()
    jobs.every(3600, "sync", started.set)
    jobs.start(first=("sync",))
    try:
        assert started.wait(2)
    finally:
        jobs.stop(timeout=2)
    assert not jobs.thread.is_alive()


def test_the_node_has_one_scheduler_for_sync_retention_and_cleanup(app):
    jobs = app.extensions["motcua.jobs"]
    assert jobs.names == ["sync", "retention", "cleanup"]
    assert jobs.thread is None                           # only `node serve` starts it
    assert {name: jobs.interval(name) for name in jobs.names} == {
        "sync": 60, "retention": 86400, "cleanup": 3600}


def test_the_retention_job_drops_scans_the_center_holds_of_long_closed_dossiers(api, app):
    from node import reception
    from node.models import Blob, Dossier
    store = app.extensions["motcua.blobs"]
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    sha = upload(api, code, png_bytes(3000, seed=7)).get_json()["sha256"]
    for step in (4, 9, 10):
        reception.transition(code, step, "lan@07024")
    Blob.update(at_center=True).where(Blob.sha256 == sha).execute()
    long_ago = legaltime.now() - timedelta(days=app.config["SCAN_RETENTION_DAYS"] + 1)
    Dossier.update(finished_at=long_ago, returned_at=long_ago).where(Dossier.code == code).execute()
    assert store.has(sha)
    jobs = app.extensions["motcua.jobs"]
    jobs.run_soon("retention")
    jobs.tick()
    assert not store.has(sha)
    assert Blob.get(Blob.sha256 == sha).purged_at is not None


def test_the_cleanup_job_forgets_sessions_no_one_logged_out_of(app):
    from node.models import User, UserSession
    from node.users import start_session, user_for_session
    lan = User.get(User.username == "lan")
    stale, fresh = start_session(lan), start_session(lan)
    (UserSession.update(created_at=legaltime.now() - timedelta(hours=13))
     .where(UserSession.id == UserSession.select().order_by(UserSession.id).first().id).execute())
    jobs = app.extensions["motcua.jobs"]
    jobs.run_soon("cleanup")
    jobs.tick()
    assert UserSession.select().count() == 1
    assert user_for_session(fresh, max_age_hours=12) is not None
    assert user_for_session(stale, max_age_hours=12) is None


@pytest.mark.slow
def test_sync_now_runs_a_round_at_once_on_a_serving_node(tmp_path):
    """An hour between rounds, yet a dossier received after start-up reaches the center as soon as
    the clerk asks: only "sync now" can have sent it."""
    from motcua.apps import create_node_app
    from node.db import close_database
    from node.journal import pending_count
    from node.users import add_user, create_token
    from tests.sync_env import Center, add_dossiers, make_node
    center = Center(tmp_path).start()
    jobs = None
    try:
        node = make_node(tmp_path, "07024", "Quan Lạn", center.url, center.token("07024"))
        app = create_node_app({"DATA_DIR": str(node), "TESTING": True,
                               "SYNC_INTERVAL_SECONDS": 3600})
        add_user("lan", "mat-khau-dai-1", "clerk")
        headers = {"Authorization": f"Bearer {create_token('lan')}"}
        jobs = app.extensions["motcua.jobs"]
        app.extensions["motcua.start_background"]()            # what `node serve` does
        assert _wait_for(lambda: "motcua.last_sync_report" in app.extensions, timeout=30)
        assert pending_count() == 0
        add_dossiers(node, 1)
        assert pending_count() == 1
        answer = app.test_client().post("/api/v1/sync/now", headers=headers)
        assert answer.status_code == 202 and answer.get_json()["background_running"] is True
        assert _wait_for(lambda: pending_count() == 0, timeout=30)
    finally:
        if jobs is not None:
            jobs.stop(timeout=30)
        close_database()
        center.stop()
