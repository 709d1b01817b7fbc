"""Procedure-specific fields declared in the catalogue (birth registration: the child's name, date
and place of birth, sex): validated at intake, kept in `dossier.received` (`details`), shown on the
dossier page, printed on Form 01, and accepted by the sync schema on both sides."""
from __future__ import annotations

import copy
import re

import pytest

from motcua import legaltime
from motcua.errors import InvalidInput
from node import catalogue, clerk as clerk_domain, reception
from sync.events import Event
from sync.schema import SchemaError, check_event
from tests.conftest import dossier_body
from tests.test_webui import clerk, client, intake_form  # noqa: F401 - fixtures

CHILD = {"child_full_name": "Nguyễn Minh Khang", "child_date_of_birth": "02/11/2025",
         "child_place_of_birth": "Trạm y tế xã Quan Lạn", "child_sex": "Nam"}


def _require_all(app):
    """A catalogue version (effective now) where birth registration's fields are all required."""
    shipped = catalogue.load_default_catalogue()
    strict = copy.deepcopy(shipped)
    strict["catalogue_version"] = "2026.2-test"
    strict["effective_from"] = legaltime.today().isoformat()
    for p in strict["procedures"]:
        for f in p.get("fields", []):
            f["required"] = True
    catalogue.install_catalogue(strict)


def test_the_catalogue_declares_the_childs_fields(app):
    specs = catalogue.fields_of(catalogue.get_procedure("1.001193"))
    assert [s.key for s in specs] == list(CHILD)
    assert specs[3].type == "choice" and specs[3].choices == ("Nam", "Nữ")
    assert catalogue.fields_of(catalogue.get_procedure("2.000815")) == []


def test_details_are_validated_stored_and_synced(app):
    d = reception.receive_dossier(dossier_body(details=CHILD), "lan@07024")
    payload = clerk_domain._received_payload(d)
    assert payload["details"]["child_date_of_birth"] == "2025-11-02"       # stored as ISO
    assert payload["details"]["child_full_name"] == "Nguyễn Minh Khang"
    rows = {x["key"]: x["value"] for x in clerk_domain.details_of(d)}
    assert rows["child_date_of_birth"] == "02/11/2025"
    # what travels passes the schema both sides check; a nested or unknown shape is refused
    ev = Event("e" * 32, "dossier.received", d.uid, "07024", "lan", "0" * 15 + "-00000", payload)
    check_event(ev)
    with pytest.raises(SchemaError):
        check_event(Event("f" * 32, "dossier.received", d.uid, "07024", "lan", "0" * 15 + "-00000",
                          {**payload, "details": {"child_full_name": {"x": 1}}}))

    with pytest.raises(InvalidInput) as bad:
        reception.receive_dossier(dossier_body(details={
            "child_full_name": "Khang 123", "child_date_of_birth": "31/02/2026",
            "child_sex": "Không rõ", "favourite_colour": "xanh"}), "lan@07024")
    assert set(bad.value.fields) >= {"details.child_full_name", "details.child_date_of_birth",
                                     "details.child_sex", "details.favourite_colour"}
    assert "Nam, Nữ" in str(bad.value.fields["details.child_sex"])


def test_required_fields_of_a_catalogue_version_are_enforced(app):
    _require_all(app)
    with pytest.raises(InvalidInput) as bad:
        reception.receive_dossier(dossier_body(), "lan@07024")
    assert set(bad.value.fields) == {f"details.{k}" for k in CHILD}
    d = reception.receive_dossier(dossier_body(details=CHILD), "lan@07024")
    assert d.catalogue_version == "2026.2-test"


def test_the_form_asks_shows_errors_and_form01_prints_them(clerk, app):
    _require_all(app)
    page = clerk.get("/dossiers/new/1.001193").text
    for key in CHILD:
        assert re.search(rf'<label for="f-detail-{key}">', page), key
        assert re.search(rf'id="f-detail-{key}"[^>]*\brequired\b', page), key
    assert not re.search(r'id="f-detail-child_sex".*?<option value="Nam" selected', page, re.S)
    bad = clerk.post("/dossiers/new/1.001193", data=intake_form(
        clerk.csrf, **{"detail-child_full_name": "Nguyễn Minh Khang",
                       "detail-child_date_of_birth": "02/11/2099"}))
    assert bad.status_code == 422
    assert 'id="err-detail-child_date_of_birth"' in bad.text and 'id="err-detail-child_sex"' in bad.text
    assert 'value="Nguyễn Minh Khang"' in bad.text                         # kept across the error
    assert re.search(r'id="f-detail-child_date_of_birth"[^>]*autofocus', bad.text)
    ok = clerk.post("/dossiers/new/1.001193", data=intake_form(
        clerk.csrf, **{f"detail-{k}": v for k, v in CHILD.items()}))
    assert ok.status_code == 302
    form01 = clerk.get(ok.location).text
    assert 'id="f01-child_full_name"' in form01 and "Nguyễn Minh Khang" in form01
    assert "02/11/2025" in form01 and "Trạm y tế xã Quan Lạn" in form01
    code = re.search(r'id="f01-code">([^<]+)<', form01).group(1)
    assert 'id="detail-child_place_of_birth">Trạm y tế xã Quan Lạn<' in clerk.get(f"/dossiers/{code}").text
