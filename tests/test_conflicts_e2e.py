"""The issue's two stories end to end: a real center and a real node (`motcua … serve` processes)
over HTTP, synced by `motcua node sync`; a clerk decides a conflict in the node's pages (real
session, CSRF token read from the page) and an officer decides another through the center's API;
each decision reaches the other side and both sides end with identical states and conflict sets."""
from __future__ import annotations

import re

import pytest
import requests

from motcua import legaltime
from tests.conftest import CLERK_PASSWORD, applicant, dossier_body
from tests.procs import free_port, motcua, start_server, stop
from tests.sync_env import Center, make_node

pytestmark = pytest.mark.slow

OFFICER_PASSWORD = "mat-khau-dai-2"


class World:
    """One center, one point (Quan Lạn) serving its desk, and who works at each."""

    def __init__(self, tmp_path):
        from node.users import add_user, create_token
        self.center = Center(tmp_path).start()
        self.node = make_node(tmp_path, "07024", "Quan Lạn", self.center.url,
                              self.center.token("07024", "Quan Lạn"))
        add_user("lan", CLERK_PASSWORD, "clerk", "Trần Thị Lan")
        self.node_token = create_token("lan")
        motcua("central", "user", "add", "--data-dir", self.center.dir, "--username", "hoa",
               "--role", "officer", input_text=OFFICER_PASSWORD + "\n")
        self.center_token = motcua("central", "token", "create", "--data-dir", self.center.dir,
                                   "--username", "hoa").strip()
        port = free_port()
        self.node_url = f"http://127.0.0.1:{port}"
        # The background loop's first round may run; the tests sync explicitly after that.
        self.node_proc = start_server(["node", "serve", "--data-dir", self.node, "--port", port],
                                      port, env={"NODE_SYNC_INTERVAL_SECONDS": "3600"})

    def close(self):
        stop(self.node_proc)
        self.center.stop()

    def at_point(self, method, path, **kwargs):
        r = requests.request(method, self.node_url + path, timeout=15,
                             headers={"Authorization": f"Bearer {self.node_token}"}, **kwargs)
        assert r.status_code < 300, r.text
        return r.json()

    def at_center(self, method, path, **kwargs):
        r = requests.request(method, self.center.url + path, timeout=15,
                             headers={"Authorization": f"Bearer {self.center_token}"}, **kwargs)
        assert r.status_code < 300, r.text
        return r.json()

    def sync(self):
        out = motcua("node", "sync", "--data-dir", self.node)
        assert "Lỗi" not in out, out

    def center_side(self, uid):
        """(folded state, dossier row facts, {conflict id: open}) at the center."""
        from central.apply import _stored_events
        from central.models import ConflictRecord, Dossier
        from sync import merge
        with self.center.db():
            state = merge.fold(_stored_events([uid])[uid])
            d = Dossier.get(Dossier.uid == uid)
            row = {"status": d.status, "applicant": d.applicant,
                   "supplement_count": d.supplement_count}
            conf = {c.conflict_id: bool(c.is_open)
                    for c in ConflictRecord.select().where(ConflictRecord.dossier_uid == uid)}
        return state, row, conf

    def node_side(self, uid):
        from node.journal import to_wire
        from node.models import ConflictRecord, Dossier, Event
        from sync import merge
        state = merge.fold(to_wire(e) for e in Event.select().where(Event.dossier_uid == uid))
        d = Dossier.get(Dossier.uid == uid)
        row = {"status": d.status, "applicant": d.applicant, "supplement_count": d.supplement_count}
        conf = {c.conflict_id: bool(c.is_open)
                for c in ConflictRecord.select().where(ConflictRecord.dossier_uid == uid)}
        return state, row, conf

    def agree(self, uid):
        """Both sides' folds, rows and conflict tables are identical; returns the node's side."""
        n_state, n_row, n_conf = self.node_side(uid)
        c_state, c_row, c_conf = self.center_side(uid)
        assert n_state.to_dict() == c_state.to_dict()
        assert n_row == c_row
        assert n_conf == c_conf == {c.id: c.is_open for c in n_state.conflicts}
        return n_state, n_row, n_conf


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()
    from node.db import close_database
    close_database()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _clerk_session(world) -> requests.Session:
    s = requests.Session()
    page = s.get(world.node_url + "/login", timeout=15)
    r = s.post(world.node_url + "/login", timeout=15, allow_redirects=False,
               data={"username": "lan", "password": CLERK_PASSWORD, "csrf_token": _csrf(page.text)})
    assert r.status_code == 302, r.text
    return s


def test_two_stories_end_to_end(world):
    # Three dossiers at Quan Lạn, sent to the center's desk (4 = in progress), synced.
    made = [world.at_point("POST", "/api/v1/dossiers",
                           json=dossier_body(applicant=applicant(id_number=f"02208500123{i}")))
            for i in range(3)]
    phone_d, withdrawn_here, withdrawn_there = made
    for d in made:
        world.at_point("POST", f"/api/v1/dossiers/{d['code']}/transitions", json={"to": 4})
    world.sync()

    # Story 1: the officer asks for a supplement while the clerk corrects the phone (other fields).
    world.at_center("POST", f"/api/v1/dossiers/{phone_d['code']}/transitions",
                    json={"to": 5, "reason": "Cần bản sao sổ hộ khẩu"})
    world.at_point("PATCH", f"/api/v1/dossiers/{phone_d['code']}",
                   json={"applicant": {"phone": "0987000111"}})
    # Story 2: the officer marks the result ready while the citizen withdraws at the point.
    for d in (withdrawn_here, withdrawn_there):
        world.at_center("POST", f"/api/v1/dossiers/{d['code']}/transitions", json={"to": 9})
        world.at_point("POST", f"/api/v1/dossiers/{d['code']}/transitions",
                       json={"to": 7, "reason": "Công dân xin rút hồ sơ"})
    world.sync()

    state, row, conf = world.agree(phone_d["id"])
    assert row["status"] == 5 and row["applicant"]["phone"] == "0987000111"
    assert conf == {} and state.conflicts == []
    opened = {}
    for d in (withdrawn_here, withdrawn_there):
        state, row, conf = world.agree(d["id"])
        assert row["status"] == 9                     # the same provisional status on both sides
        assert list(conf.values()) == [True]          # the same open conflict id on both sides
        opened[d["id"]] = next(iter(conf))
        c = state.conflict_map[opened[d["id"]]]
        assert {c.a.origin, c.b.origin} == {"central", "07024"}
    listed = {c["id"] for c in world.at_point("GET", "/api/v1/conflicts")["items"]}
    assert listed == set(opened.values()) == \
        {c["id"] for c in world.at_center("GET", "/api/v1/conflicts")["items"]}

    # Story 1, same field on both sides: the later write (the center's) wins, the clerk's value
    # stays in the history on both sides.
    world.at_point("PATCH", f"/api/v1/dossiers/{phone_d['code']}",
                   json={"applicant": {"phone": "0987000222"}})
    from central.apply import record_center_event
    with world.center.db():
        record_center_event("dossier.corrected", phone_d["id"], "hoa@central",
                            {"fields": {"applicant.phone": "0911000333"}}, now=legaltime.now())

    # A person decides story 2 at the point, in the clerk's pages (session + CSRF from the page)…
    clerk = _clerk_session(world)
    here = opened[withdrawn_here["id"]]
    today = clerk.get(world.node_url + "/today", timeout=15).text
    assert 'href="/conflicts/"' in today and "Xung đột: 2" in today
    listing = clerk.get(world.node_url + "/conflicts/", timeout=15).text
    assert f'href="/conflicts/{here}"' in listing
    page = clerk.get(world.node_url + f"/conflicts/{here}", timeout=15).text
    assert "Trung tâm" in page and "Quan Lạn" in page
    r = clerk.post(world.node_url + f"/conflicts/{here}/resolve", timeout=15, allow_redirects=False,
                   data={"csrf_token": _csrf(page), "decision": "value", "status": "7"})
    assert r.status_code == 302, r.text
    assert 'id="resolved"' in clerk.get(world.node_url + r.headers["Location"], timeout=15).text
    # …and the officer decides the other one through the center's API.
    there = opened[withdrawn_there["id"]]
    world.at_center("POST", f"/api/v1/conflicts/{there}/resolve",
                    json={"decision": "keep_a", "note": "Kết quả đã trả"})
    world.sync()

    state, row, conf = world.agree(phone_d["id"])
    assert row["applicant"]["phone"] == "0911000333" and row["status"] == 5
    assert "0987000222" in [v for v, _ in state.field_history("applicant.phone")]
    state, row, conf = world.agree(withdrawn_here["id"])
    assert row["status"] == 7 and conf == {here: False}
    assert state.conflict_map[here].resolution.origin == "07024"
    state, row, conf = world.agree(withdrawn_there["id"])
    assert row["status"] == 9 and conf == {there: False}
    assert state.conflict_map[there].resolution.origin == "central"
    assert world.at_point("GET", "/api/v1/conflicts")["items"] == []
    assert world.at_center("GET", "/api/v1/conflicts")["items"] == []
    assert world.at_point("GET", "/api/v1/sync/status")["open_conflicts"] == 0

    motcua("node", "verify", "--data-dir", world.node)
    motcua("central", "verify", "--data-dir", world.center.dir)
