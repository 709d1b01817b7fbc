"""A possible duplicate at the point: the same ID number and procedure received here within the
window is warned about (live while typing, and on Form 01 after saving), never refused."""
from __future__ import annotations

from datetime import timedelta

from motcua import legaltime
from node import duplicates
from tests.conftest import dossier_body
from tests.test_webui import clerk, client, intake_form  # noqa: F401 - fixtures


def test_same_person_same_procedure_within_the_window(api, app):
    first = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    api.post("/api/v1/dossiers", json=dossier_body(procedure_code="1.000656"))   # another procedure
    found = duplicates.recent_same("022085001234", "1.001193", window_days=7)
    assert [d.code for d in found] == [first]
    assert duplicates.recent_same("022085001234", "1.001193", window_days=7,
                                  now=legaltime.now() + timedelta(days=8)) == []
    assert duplicates.recent_same("022190004321", "1.001193", window_days=7) == []
    assert duplicates.recent_same("", "1.001193", window_days=7) == []


def test_the_form_warns_but_saves(clerk, api):
    first = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    live = clerk.get("/dossiers/duplicates.json?procedure=1.001193&id_number=022085001234").get_json()
    assert [i["code"] for i in live["items"]] == [first]
    assert 'data-duplicates="/dossiers/duplicates.json?procedure=1.001193"' in \
        clerk.get("/dossiers/new/1.001193").text
    resp = clerk.post("/dossiers/new/1.001193", data=intake_form(clerk.csrf))
    assert resp.status_code == 302                                   # saved: a warning, not a block
    form01 = clerk.get(resp.location).text
    assert 'id="duplicate-saved"' in form01 and first in form01 and "Có thể trùng" in form01


def test_no_warning_for_a_first_filing(clerk):
    resp = clerk.post("/dossiers/new/1.001193", data=intake_form(clerk.csrf))
    assert 'id="duplicate-saved"' not in clerk.get(resp.location).text
