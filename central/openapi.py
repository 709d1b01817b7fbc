"""The center's API described in OpenAPI 3.1, served at /api/v1/openapi.json.

Written by hand as data, one entry per route: `tests/test_openapi.py` checks that every route of
the API and sync blueprints is here and every path here is a route, so the two cannot drift.
"""
from __future__ import annotations

from importlib import metadata

_ERROR = {"description": "Error: {error: {code, message (Vietnamese), message_en, field?}}",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, *, params: tuple[str, ...] = (), query: tuple[str, ...] = (),
        body: str | None = None, auth: str = "bearer", ok: str = "OK",
        errors: tuple[int, ...] = (401, 404, 422)) -> dict:
    op: dict = {"summary": summary, "responses": {"200": {"description": ok}}}
    parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                  for p in params]
    parameters += [{"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
                   for q in query]
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = {"required": True, "description": body,
                             "content": {"application/json": {"schema": {"type": "object"}}}}
    for status in errors:
        op["responses"][str(status)] = _ERROR
    op["security"] = [{"bearer": []}] if auth == "bearer" else []
    if auth == "signed":
        op["description"] = "Signed by the point's key (docs/protocol.md); no bearer token."
    return op


PATHS: dict[str, dict[str, dict]] = {
    "/api/v1/openapi.json": {"get": _op("This document.", auth="none", errors=())},
    "/api/v1/dossiers": {"get": _op("Dossiers across points, newest first.",
                                    query=("q", "point", "status", "page", "per_page"))},
    "/api/v1/dossiers/{code}": {"get": _op("One dossier with its scans and history.",
                                           params=("code",))},
    "/api/v1/dossiers/{code}/transitions": {"post": _op(
        "An officer's status change; flows down to the point.", params=("code",),
        body="{to, reason?, returned_to?}", errors=(401, 403, 404, 409, 422))},
    "/api/v1/dossiers/{code}/official-code": {"post": _op(
        "Attach the provincial system's code.", params=("code",), body="{official_code}",
        errors=(401, 403, 404, 409, 422))},
    "/api/v1/dossiers/{code}/new-due": {"post": _op(
        "The apology with a new date (Form 04), once.", params=("code",),
        body="{new_due_at (ISO 8601), reason}", errors=(401, 403, 404, 409, 422))},
    "/api/v1/work": {"get": _op("Running dossiers late, and due within two working days.")},
    "/api/v1/work/mine": {"get": _op("The caller's own list: assigned to them, late, due soon.")},
    "/api/v1/officers": {"get": _op("The active officers dossiers may be assigned to.")},
    "/api/v1/dossiers/{code}/assignee": {"post": _op(
        "Assign the dossier to an officer (null: to nobody); flows down to the point.",
        params=("code",), body="{assignee: username | null}", errors=(401, 403, 404, 409, 422))},
    "/api/v1/rules/{which}": {
        "get": _op("The procedure catalogue (`catalogue`) or the holiday calendar (`holidays`): "
                   "the latest version and every version issued.", params=("which",),
                   errors=(401, 404)),
        "post": _op("Admin: issue a whole new version to every point (sent down at each point's "
                    "next sync).", params=("which",),
                    body="the catalogue or calendar as a point installs it, with its version name "
                         "and effective_from", errors=(401, 403, 404, 409, 422))},
    "/api/v1/dashboard": {"get": _op("Leaders' figures: intake by date received, results by date "
                                     "finished, open now.", query=("from", "to", "point"))},
    "/api/v1/stats": {"get": _op("Counts and rates over dossiers received from `from` to `to`.",
                                 query=("from", "to"))},
    "/api/v1/queue-stats": {"get": _op(
        "The queue per point for tickets taken from `from` to `to`: wait and service per group and "
        "desk, tickets per hour, satisfaction.", query=("from", "to", "point"))},
    "/api/v1/nodes": {"get": _op("Each point's health: contact, backlogs, refusals, skew, keys.")},
    "/api/v1/nodes/{unit_code}/revoke": {"post": _op(
        "Admin: refuse this point's parcels from now on.", params=("unit_code",),
        errors=(401, 403, 404))},
    "/api/v1/conflicts": {"get": _op("Open conflicts across points.")},
    "/api/v1/conflicts/{conflict_id}": {"get": _op("One conflict, both versions.",
                                                   params=("conflict_id",))},
    "/api/v1/conflicts/{conflict_id}/resolve": {"post": _op(
        "Decide a conflict.", params=("conflict_id",), body="{decision, value?, note?}",
        errors=(401, 403, 404, 409, 422))},
    "/sync/v1/center": {"get": _op("The center's public keys (pinned at enrollment).",
                                   auth="none", errors=())},
    "/sync/v1/enroll": {"post": _op("Enroll a point with a one-time token.", auth="none",
                                    body="{token, unit_code, keys, proof}",
                                    errors=(403, 409, 422))},
    "/sync/v1/standing": {"post": _op(
        "Where the center stands with this point (last parcel applied, highest codes seen), asked "
        "by a point restored from a backup before it sends anything.", auth="signed",
        errors=(401, 403, 422))},
    "/sync/v1/rotate": {"post": _op("Rotate a point's keys (endorsed by the old key).",
                                    auth="signed", body="signed rotation request",
                                    errors=(403, 409, 422))},
    "/sync/v1/uploads": {"post": _op("Start a resumable parcel upload.", auth="signed",
                                     errors=(403, 413, 422))},
    "/sync/v1/uploads/{upload_id}": {
        "head": _op("How many bytes of the upload the center holds.", params=("upload_id",),
                    auth="signed", errors=(403, 404)),
        "patch": _op("Append bytes at the given offset.", params=("upload_id",), auth="signed",
                     errors=(403, 404, 409, 413))},
    "/sync/v1/uploads/{upload_id}/finish": {"post": _op(
        "Apply the uploaded parcel; answers its signed receipt.", params=("upload_id",),
        auth="signed", errors=(403, 404, 409, 422))},
    "/sync/v1/blobs/have": {"post": _op("Which scans the center already holds.", auth="signed",
                                        errors=(403, 422))},
    "/sync/v1/blobs/get": {"post": _op("A file the center holds on one of the point's dossiers "
                                       "(a result PDF), by its hash.", auth="signed",
                                       errors=(403, 404, 422))},
    "/sync/v1/down/next": {"post": _op("The next parcel the center owes the point.",
                                       auth="signed", errors=(403, 422))},
    "/sync/v1/down/receipt": {"post": _op("The point's signed receipt of a down parcel.",
                                          auth="signed", errors=(403, 409, 422))},
    "/sync/v1/heartbeat": {"post": _op(
        "The point's signed heartbeat: version, backlog, disk free, last backup, clock, rules.",
        auth="signed", body="signed heartbeat", errors=(401, 403, 422))},
}


def _version() -> str:
    try:
        return metadata.version("motcua")
    except metadata.PackageNotFoundError:       # run from a source tree that is not installed
        return "0"


def document() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "motcua center API", "version": _version(),
                 "description": "Officers' API (/api/v1, bearer tokens) and the points' sync "
                                "endpoints (/sync/v1, signed parcels). Messages are Vietnamese "
                                "first, with English beside them."},
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "message_en": {"type": "string"}, "field": {"type": "string"}}}}}}},
    }
