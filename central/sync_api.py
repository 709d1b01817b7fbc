"""The center's sync endpoints: enrollment, resumable parcel uploads, blob checks, down parcels.

Thin views over `central.uploads` (state in the database, bytes in the object store),
`central.ingest` (verify + apply + receipt), `central.outbound` and `central.enrollment`. The
protocol is documented in docs/protocol.md ("HTTP transport") and in `sync.transport`, the client
side.
"""
from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request

from central import outbound
from central.enrollment import has_history, redeem_enroll_token
from central.ingest import Ingestor, point_keys, sweep_held
from central.key_rotation import rotate_point_keys
from central.keys import CENTER_ID, center_identity
from central.uploads import OffsetMismatch, UploadStore
from motcua import errors as E, legaltime
from motcua.errors import DomainError, InvalidInput, Unauthorized
from motcua.objectstore import StoreUnavailable
from sync import crypto
from sync.enrollfile import history_message
from sync.parcel import ParcelRefused
from sync.transport import TUS_RESUMABLE, response_message, upload_descriptor, verify_request

logger = logging.getLogger(__name__)
bp = Blueprint("central_sync", __name__, url_prefix="/sync/v1")
# Refusals of the moment, not of the parcel: the same bytes sent later may be taken.
RETRY_LATER = frozenset({"blob_quota_exceeded"})


def init_app(app) -> None:
    """Make (or load) the center's keys and keep the sync helpers on the app."""
    data_dir = Path(app.config["DATA_DIR"])
    identity = center_identity(data_dir)
    app.extensions["motcua.identity"] = identity
    store = app.extensions["motcua.store"]
    app.extensions["motcua.uploads"] = UploadStore(
        store, max_bytes=int(app.config["UPLOAD_MAX_BYTES"]),
        quota_bytes=int(app.config["UPLOAD_QUOTA_BYTES"]))
    # Every route: a body over this is refused (413) before it is read.
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_REQUEST_BYTES"])
    app.extensions["motcua.ingestor"] = Ingestor.from_settings(identity, data_dir, app.config,
                                                                 store=store)

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable):
        logger.error("object store unavailable on %s %s: %s", request.method, request.path, exc)
        response = jsonify(DomainError(E.STORE_UNAVAILABLE).to_dict())
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(OffsetMismatch)
    def offset_mismatch(exc: OffsetMismatch):
        response = jsonify(exc.to_dict())
        response.status_code = 409
        response.headers["Upload-Offset"] = str(exc.offset)
        return response


def sweep_abandoned(app, *, now: datetime | None = None) -> dict[str, int]:
    """The background job: forget uploads untouched for UPLOAD_EXPIRE_HOURS, scan chunk sets no
    chunk joined for as long, and held parcels older than HELD_EXPIRE_DAYS."""
    now = now or legaltime.now()
    age = timedelta(hours=float(app.config["UPLOAD_EXPIRE_HOURS"]))
    ingestor = app.extensions["motcua.ingestor"]
    return {"uploads": app.extensions["motcua.uploads"].sweep(now=now, max_age=age),
            "chunk_sets": ingestor.blobs.sweep(now=now, max_age=age),
            "held": sweep_held(ingestor.store, now=now, max_age=timedelta(
                days=float(app.config["HELD_EXPIRE_DAYS"])))}


def _identity() -> crypto.Identity:
    return current_app.extensions["motcua.identity"]


def _uploads() -> UploadStore:
    return current_app.extensions["motcua.uploads"]


def _tus(response: Response, offset: int | None = None, length: int | None = None) -> Response:
    response.headers["Tus-Resumable"] = TUS_RESUMABLE
    response.headers["Cache-Control"] = "no-store"
    if not response.get_data():
        # Without it waitress closes the connection after an empty answer: one TCP (and, on a
        # mobile link, one slow start) per chunk instead of keep-alive.
        response.headers["Content-Length"] = "0"
    if offset is not None:
        response.headers["Upload-Offset"] = str(offset)
    if length is not None:
        response.headers["Upload-Length"] = str(length)
    return response


def _int_header(name: str) -> int:
    try:
        return int(request.headers[name])
    except (KeyError, ValueError):
        raise InvalidInput(E.BAD_HEADER(name=name)) from None


def _signed_node() -> str:
    """The enrolled, active node that signed this request (with its current key, or the one it
    replaced while the rotation's grace lasts). :raises Unauthorized."""
    node_id = request.headers.get("Motcua-Node", "")
    try:
        keys = point_keys(node_id) if node_id else None
    except ParcelRefused:
        keys = None
    for key in keys or []:
        try:
            return verify_request(request.headers, request.method, request.path,
                                  request.get_data(), lambda _unit, k=key: k.sign_pub)
        except crypto.CryptoRefused:
            continue
    raise Unauthorized(E.BAD_REQUEST_SIGNATURE)


def _upload_owner() -> str:
    """The point that signed this upload call (purpose "upload", over its upload headers, not
    its body: the body is checked piece by piece). :raises Unauthorized."""
    node_id = request.headers.get("Motcua-Node", "")
    try:
        keys = point_keys(node_id) if node_id else None
    except ParcelRefused:
        keys = None
    descriptor = upload_descriptor(request.headers)
    for key in keys or []:
        try:
            return verify_request(request.headers, request.method, request.path, descriptor,
                                  lambda _unit, k=key: k.sign_pub, purpose="upload")
        except crypto.CryptoRefused:
            continue
    raise Unauthorized(E.UPLOAD_UNSIGNED)


def _body_size(remaining: int) -> int:
    """The declared body size, refused (413) before any byte is read when over the request limit
    or over what the upload still lacks."""
    size = request.content_length
    if size is None:
        if request.headers.get("Transfer-Encoding"):
            raise InvalidInput(E.LENGTH_REQUIRED)
        return 0
    if size > min(remaining, int(current_app.config["MAX_REQUEST_BYTES"])):
        raise InvalidInput(E.UPLOAD_OVERFLOW)
    return size


def _signed_answer(payload: dict) -> Response:
    response = jsonify(payload)
    signature = crypto.sign(response_message(request.headers.get("Motcua-Signature", ""),
                                             response.get_data()), _identity(), purpose="response")
    response.headers["Motcua-Signature"] = base64.b64encode(signature).decode()
    return response


@bp.get("/center")
def center_keys():
    """The center's public keys and fingerprint (what a technician compares aloud)."""
    keys = _identity().public_keys()
    return jsonify({"id": CENTER_ID, "public_keys": keys.to_dict(),
                    "fingerprint": keys.fingerprint()})


@bp.post("/enroll")
def enroll():
    """{token, unit_code?, public_keys, signature} → the point's record and the center's keys,
    signed by the center (purpose "enrollment") over the node's own keys."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(E.NOT_JSON)
    try:
        keys = crypto.PublicKeys.from_dict(body.get("public_keys") or {})
        crypto.verify(str(body.get("token", "")).encode(), base64.b64decode(
            str(body.get("signature", "")), validate=True), keys.sign_pub, purpose="enrollment")
    except (crypto.CryptoRefused, ValueError):
        raise InvalidInput(E.BAD_ENROLL_PROOF) from None
    point = redeem_enroll_token(str(body.get("token", "")), body.get("unit_code"), keys,
                                now=legaltime.now())
    mine = _identity().public_keys()
    history = has_history(point)
    answer = {"unit_code": point.unit_code, "name": point.name, "center_id": CENTER_ID,
              "center_keys": mine.to_dict(), "center_fingerprint": mine.fingerprint(),
              "history": history}
    proof = crypto.sign(keys.canonical_bytes() + point.unit_code.encode(), _identity(),
                        purpose="enrollment")
    answer["signature"] = base64.b64encode(proof).decode()
    answer["history_signature"] = base64.b64encode(crypto.sign(
        history_message(keys, point.unit_code, history), _identity(),
        purpose="enrollment")).decode()
    logger.info("point %s enrolled over HTTP", point.unit_code)
    return jsonify(answer), 201


@bp.post("/rotate")
def rotate_keys():
    """A point's key rotation request → the center's signed answer (the same request again: the
    same answer, nothing changed). Authenticated by the endorsement inside, made with the point's
    current key; the answer is bound to this request's signature."""
    answer = rotate_point_keys(request.get_data(), _identity(), grace=timedelta(
        days=float(current_app.config["KEY_GRACE_DAYS"])))
    return _signed_answer({"answer": json.loads(answer)})


@bp.post("/uploads")
def create_upload():
    """tus "create" (with the parcel as body, tus creation-with-upload), signed by the point: the
    upload is its own, named by the parcel's SHA-256 with the signed hash of every piece, so
    creating it twice is harmless; 200 + receipt when that was all."""
    owner = _upload_owner()
    upload_id = request.headers.get("Motcua-Parcel-Sha256", "")
    length = _int_header("Upload-Length")
    pieces = [p for p in request.headers.get("Motcua-Piece-Sha256", "").split(",") if p]
    # A new upload takes the body as its first bytes; one the center holds already leaves it
    # unread (the point goes on from the offset answered).
    offset = _uploads().create(owner, upload_id, length, _int_header("Motcua-Piece-Bytes"), pieces,
                               body=lambda: (request.environ["wsgi.input"], _body_size(length)))
    if offset >= length:
        return _tus(_finish(owner, upload_id), offset, length)
    response = _tus(Response(status=201), offset, length)
    response.headers["Location"] = f"{bp.url_prefix}/uploads/{upload_id}"
    return response


@bp.route("/uploads/<upload_id>", methods=["HEAD"])
def upload_offset(upload_id):
    """tus "offset": the exact byte of this parcel the center holds (its creator asks)."""
    offset, length, _ = _uploads().status(_upload_owner(), upload_id, wait=True)
    return _tus(Response(status=200), offset, length)


@bp.patch("/uploads/<upload_id>")
def append_upload(upload_id):
    """tus "append" at `Upload-Offset`, streamed to disk; the last chunk's answer is the parcel's
    signed receipt."""
    owner = _upload_owner()
    if request.headers.get("Content-Type") != "application/offset+octet-stream":
        raise InvalidInput(E.BAD_CONTENT_TYPE)
    start = _int_header("Upload-Offset")
    _, length, _ = _uploads().status(owner, upload_id)
    size = _body_size(length - start)
    offset, length = _uploads().append(owner, upload_id, start, request.environ["wsgi.input"],
                                       size)
    if offset < length:
        # tus answers 204 here, but some servers close the connection after every 204: an empty
        # 200 keeps it alive (one TCP slow start per parcel, not per chunk, on a mobile link).
        return _tus(Response(status=200), offset, length)
    return _tus(_finish(owner, upload_id), offset, length)


@bp.post("/uploads/<upload_id>/finish")
def finish_upload(upload_id):
    """Ingest a complete upload (again): the same receipt as the first time."""
    return _tus(_finish(_upload_owner(), upload_id))


def _finish(owner: str, upload_id: str) -> Response:
    store = _uploads()
    _, _, receipt = store.status(owner, upload_id)
    if receipt is None:
        data = store.read_complete(owner, upload_id)
        if data is None:
            raise InvalidInput(E.UPLOAD_INCOMPLETE)
        if crypto.sha256_hex(data) != upload_id:
            store.discard(owner, upload_id)       # its pieces were signed wrong: send it again
            raise InvalidInput(E.UPLOAD_HASH_MISMATCH)
        result = current_app.extensions["motcua.ingestor"].ingest(data)
        receipt = result.receipt
        if result.result == "held" or result.reason in RETRY_LATER:
            store.discard(owner, upload_id)     # asked for again later: not answered from here
        else:
            store.finish(owner, upload_id, receipt)
    return Response(receipt, status=200, mimetype="application/json")


@bp.post("/blobs/have")
def blobs_have():
    """Which of these scans the center holds whole, and which chunks of the others this point
    sent (signed)."""
    node_id = _signed_node()
    wanted = (request.get_json(silent=True) or {}).get("blobs")
    if not isinstance(wanted, list) or len(wanted) > 10000:
        raise InvalidInput(E.BLOBS_REQUIRED)
    blobs = current_app.extensions["motcua.ingestor"].blobs
    held, partial = [], {}
    for sha in wanted:
        if not isinstance(sha, str) or len(sha) != 64 or sha.strip("0123456789abcdef"):
            continue
        if blobs.confirm_held(sha, now=legaltime.now()):
            held.append(sha)
        elif offsets := blobs.partial_offsets(sha, sender=node_id):
            partial[sha] = offsets
    return _signed_answer({"held": held, "partial": partial})


@bp.post("/blobs/get")
def blobs_get():
    """A file the center holds on one of the signing point's dossiers (a result file the officer
    attached), by its hash; the point checks the bytes against the hash its signed event named."""
    from central.results import file_for_point
    node_id = _signed_node()
    sha = (request.get_json(silent=True) or {}).get("sha256")
    if not isinstance(sha, str):
        raise InvalidInput(E.SHA256_REQUIRED, field="sha256")
    data = file_for_point(sha, node_id, current_app.extensions["motcua.ingestor"].blobs)
    return Response(data, status=200, mimetype="application/octet-stream")


@bp.post("/standing")
def standing():
    """Where the center stands with the signing point, which was restored from a backup; its
    dossiers' events are owed to it again (`central.standing`, signed)."""
    from central.standing import point_standing
    return _signed_answer(point_standing(_signed_node()))


@bp.post("/heartbeat")
def heartbeat():
    """The signing point's heartbeat (`sync.heartbeat`: version, backlog, disk, backup, clock,
    rules in force), signed again inside; kept as its latest, and it counts as contact."""
    from central.heartbeats import take_heartbeat
    node_id = _signed_node()
    return jsonify({"stored": take_heartbeat(request.get_data(), sender=node_id, via="http")})


@bp.post("/down/next")
def down_next():
    """The next parcel the center owes the signing node (the same one until acknowledged)."""
    node_id = _signed_node()
    parcel = outbound.next_parcel(node_id, _identity())
    if parcel is None:
        return Response(status=204, headers={"Content-Length": "0"})
    return Response(parcel, status=200, mimetype="application/octet-stream")


@bp.post("/down/receipt")
def down_receipt():
    """The node's signed receipt for a down parcel: what it covers is forgotten here."""
    node_id = _signed_node()
    try:
        count = outbound.accept_receipt(node_id, request.get_data())
    except ParcelRefused as exc:
        raise DomainError(exc.said or exc.message_vi, code=exc.reason, status=422) from None
    return jsonify({"acknowledged_events": count})
