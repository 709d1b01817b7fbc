"""Rules issued by the center: a catalogue version (a fee and processing days changed at the desk
of the admin, or a whole catalogue as JSON) and a holiday calendar, each checked as strictly as a
point reads it, never issued twice under one name, and installed by the point at its next sync
beside the older version (a dossier keeps the version it was received under)."""
from __future__ import annotations

import copy
import re
from datetime import date

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD

from tests.test_carrier_contract import Link


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def admin(central_app):
    from central.users import add_user
    add_user("quantri", OFFICER_PASSWORD, "admin", "Quản Trị Viên")
    add_user("hoa", OFFICER_PASSWORD, "officer", "Lê Thị Hoa")
    client = central_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": "quantri", "password": OFFICER_PASSWORD,
                                "csrf_token": _csrf(page)})
    return client


def test_checks_refuse_what_a_point_could_not_install(central_app):
    from central import rules
    from motcua.errors import Conflict, InvalidInput
    good = rules.shipped("catalogue")
    cases = [("procedures[0].processing_days", lambda c: c["procedures"][0].update(processing_days=-1)),
             ("procedures[1].fee_vnd", lambda c: c["procedures"][1].update(fee_vnd="năm mươi")),
             ("procedures[2].code", lambda c: c["procedures"][2].update(code=c["procedures"][0]["code"])),
             ("procedures[0].required_documents[0].name_vi",
              lambda c: c["procedures"][0]["required_documents"][0].update(name_vi="")),
             ("effective_from", lambda c: c.update(effective_from="31/12/2026")),
             ("catalogue_version", lambda c: c.update(catalogue_version=" "))]
    for path, spoil in cases:
        data = copy.deepcopy(good)
        data["catalogue_version"] = "2027.1" if path != "catalogue_version" else data["catalogue_version"]
        spoil(data)
        with pytest.raises(InvalidInput) as refused:
            rules.issue("catalogue", data, "quantri@central")
        assert refused.value.field == path
    with pytest.raises(Conflict):                       # the shipped version's name is taken
        rules.issue("catalogue", good, "quantri@central")
    cal = {**rules.shipped("holidays"), "calendar_version": "2027.1"}
    for entry, path in [({"date": "2027-02-30", "kind": "holiday", "name_vi": "Tết"}, "entries[0].date"),
                        ({"date": "2027-02-10", "kind": "party", "name_vi": "Tết"}, "entries[0].kind")]:
        with pytest.raises(InvalidInput) as refused:
            rules.issue("holidays", {**cal, "entries": [entry]}, "quantri@central")
        assert refused.value.field == path
    from central.models import Event
    assert not Event.select().exists()                  # nothing issued by a refusal


def test_the_admin_edits_and_issues_both_and_a_version_is_never_reissued(admin, central_app):
    from central import rules
    from central.models import Event, Outbound
    from tests.central_fixtures import add_point
    add_point()
    page = admin.get("/rules/").get_data(as_text=True)
    token = _csrf(page)
    shipped = rules.shipped("catalogue")
    form = {"csrf_token": token, "version": "2026.9", "effective_from": "2026-12-20"}
    for p in shipped["procedures"]:
        form[f"fee_vnd-{p['code']}"] = "" if p.get("fee_vnd") is None else str(p["fee_vnd"])
        form[f"processing_days-{p['code']}"] = str(p["processing_days"])
    form["fee_vnd-1.001193"] = "8.000"
    form["processing_days-1.001193"] = "3"
    assert admin.post("/rules/catalogue", data=form).status_code == 302
    issued = rules.latest("catalogue")
    birth = next(p for p in issued["procedures"] if p["code"] == "1.001193")
    assert (issued["catalogue_version"], birth["fee_vnd"], birth["processing_days"]) == ("2026.9", 8000, 3)
    again = admin.post("/rules/catalogue", data=form)
    assert again.status_code == 409 and 'id="rules-error"' in again.get_data(as_text=True)
    bad = admin.post("/rules/catalogue", data={**form, "version": "2026.10",
                                               "processing_days-1.001193": "ba"})
    assert bad.status_code == 422
    assert admin.post("/rules/catalogue.json", data={"csrf_token": token,
                                                     "catalogue_json": "{not json"}).status_code == 422
    lines = "2027-01-01 | holiday | Tết Dương lịch\n\n2027-02-06 | holiday | Tết Nguyên đán"
    r = admin.post("/rules/holidays", data={"csrf_token": token, "version": "2027.1",
                                            "effective_from": "2027-01-01", "entries": lines})
    assert r.status_code == 302
    assert [e["date"] for e in rules.latest("holidays")["entries"]] == ["2027-01-01", "2027-02-06"]
    wrong = admin.post("/rules/holidays", data={"csrf_token": token, "version": "2027.2",
                                                "effective_from": "2027-01-01",
                                                "entries": "2027-01-01 holiday"})
    assert wrong.status_code == 422 and "2027-01-01 holiday" in wrong.get_data(as_text=True)
    globals_ = list(Event.select().where(Event.dossier_uid.is_null()))
    assert sorted(e.kind for e in globals_) == ["catalogue.updated", "holidays.updated"]
    assert Outbound.select().count() == 2              # owed to the one point
    shown = admin.get("/rules/").get_data(as_text=True)
    assert shown.count('class="issued-catalogue"') == 1 and "2027.1" in shown


def test_only_an_admin(central_app, admin):
    client = central_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": "hoa", "password": OFFICER_PASSWORD,
                                "csrf_token": _csrf(page)})
    assert client.get("/rules/").status_code == 403
    token = _csrf(client.get("/dossiers/").get_data(as_text=True))
    assert client.post("/rules/holidays", data={"csrf_token": token, "version": "x",
                                                "effective_from": "2027-01-01",
                                                "entries": ""}).status_code == 403
    assert admin.post("/rules/holidays", data={"version": "x", "effective_from": "2027-01-01",
                                               "entries": ""}).status_code == 400   # no token


def test_a_point_installs_the_versions_at_its_next_sync(tmp_path):
    from central import rules
    from node import catalogue, holidays, reception
    from node.models import Procedure
    from tests.conftest import dossier_body
    link = Link("in_process", tmp_path)
    try:
        (code,) = link.receive(1)
        link.sync()
        data = copy.deepcopy(rules.shipped("catalogue"))
        data.update(catalogue_version="2026.9", effective_from="2026-01-01")
        next(p for p in data["procedures"] if p["code"] == "1.001193")["fee_vnd"] = 8000
        rules.issue("catalogue", data, "quantri@central")
        rules.issue("holidays", {**rules.shipped("holidays"), "calendar_version": "2027.1",
                                 "effective_from": "2027-01-01",
                                 "entries": [{"date": "2027-01-04", "kind": "day_off",
                                              "name_vi": "Nghỉ thử"}]}, "quantri@central")
        link.sync()
        versions = {p.catalogue_version for p in Procedure.select().where(Procedure.code == "1.001193")}
        assert versions == {rules.shipped("catalogue")["catalogue_version"], "2026.9"}
        assert catalogue.get_procedure("1.001193").fee_vnd == 8000            # in force now
        old = reception.get_dossier(code)
        assert old.catalogue_version == rules.shipped("catalogue")["catalogue_version"]
        assert not holidays.work_calendar().is_working_day(date(2027, 1, 4))
        new = reception.receive_dossier(dossier_body(), "lan@test")
        assert new.catalogue_version == "2026.9"
    finally:
        link.close()


def test_the_api_reads_and_issues_rules(admin, central_app):
    """GET the latest and the versions issued; POST a whole version (admin only): issued once,
    checked as the form's, unknown kinds are a 404 in Vietnamese."""
    from central import rules
    from central.models import Event
    from central.users import create_token
    client = central_app.test_client()

    def call(method, url, token, **kw):
        return getattr(client, method)(url, headers={"Authorization": f"Bearer {token}"}, **kw)

    root, hoa = create_token("quantri"), create_token("hoa")
    got = call("get", "/api/v1/rules/catalogue", hoa).get_json()
    assert got["versions"] == [] and got["latest"] == rules.shipped("catalogue")
    data = copy.deepcopy(got["latest"])
    data.update(catalogue_version="2027.1", effective_from="2027-01-01")
    data["procedures"][0]["fee_vnd"] = 12000
    assert call("post", "/api/v1/rules/catalogue", hoa, json=data).status_code == 403
    r = call("post", "/api/v1/rules/catalogue", root, json=data)
    assert r.status_code == 200 and r.get_json()["catalogue_version"] == "2027.1"
    assert Event.select().where(Event.kind == "catalogue.updated").count() == 1
    again = call("post", "/api/v1/rules/catalogue", root, json=data)
    assert again.status_code == 409
    listed = call("get", "/api/v1/rules/catalogue", hoa).get_json()
    assert [v["version"] for v in listed["versions"]] == ["2027.1"]
    assert listed["latest"]["procedures"][0]["fee_vnd"] == 12000
    bad = copy.deepcopy(data)
    bad.update(catalogue_version="2027.2", effective_from="31/12/2027")
    r = call("post", "/api/v1/rules/catalogue", root, json=bad)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "effective_from"
    assert call("post", "/api/v1/rules/catalogue", root, data="[]",
                content_type="application/json").status_code == 422
    unknown = call("get", "/api/v1/rules/luat", hoa)
    assert unknown.status_code == 404 and "luat" in unknown.get_json()["error"]["message"]
    assert call("post", "/api/v1/rules/luat", root, json=data).status_code == 404
    holidays = call("get", "/api/v1/rules/holidays", hoa).get_json()
    assert holidays["latest"]["entries"] and holidays["versions"] == []
