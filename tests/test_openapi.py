"""The OpenAPI document served by the center names every API and sync route, and nothing else."""
from __future__ import annotations

import re

from central_fixtures import *  # noqa: F401,F403


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/sync/")):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        methods = rule.methods - {"OPTIONS"}
        if methods != {"HEAD"}:
            methods -= {"HEAD"}          # Flask adds HEAD to every GET
        found |= {(m.lower(), path) for m in methods}
    return found


def test_every_route_is_documented_and_every_documented_route_exists(central_app):
    r = central_app.test_client().get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.is_json
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    routes = _routes(central_app)
    assert routes - documented == set(), "routes missing from central/openapi.py"
    assert documented - routes == set(), "documented routes that do not exist"
    for path, ops in doc["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for op in ops.values():
            assert {p["name"] for p in op.get("parameters", []) if p["in"] == "path"} == names
            assert op["summary"] and "200" in op["responses"]


def test_new_api_routes(central_app, api):
    from central_fixtures import add_point

    from central.models import Point
    from central.users import add_user, create_token
    assert api.get("/api/v1/work").get_json() == {"late": [], "soon": [], "horizon": api.get(
        "/api/v1/work").get_json()["horizon"]}
    assert api.get("/api/v1/dashboard?from=2026-03-02&to=2026-03-01").status_code == 422
    assert api.get("/api/v1/dashboard").get_json()["intake"]["total"] == 0
    add_point()
    assert api.post("/api/v1/nodes/07024/revoke").status_code == 403          # an officer
    add_user("root", "mat-khau-dai-1", "admin", "Quản trị")
    r = api.post("/api/v1/nodes/07024/revoke", token=create_token("root"))
    assert r.status_code == 200 and r.get_json()["key_status"] == "revoked"
    assert Point.get().key_status == "revoked"
    bad = api.post("/api/v1/dossiers/x/new-due", json={"new_due_at": "mai", "reason": "r"})
    assert bad.status_code == 422
