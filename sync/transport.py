"""Parcels over HTTP on a link that drops: resumable uploads by byte offset, after tus.

Upload of one parcel (its id is the parcel's SHA-256, so the node can always ask again):

    POST  /sync/v1/uploads            Upload-Length, Motcua-Parcel-Sha256, first chunk as body
                                      → 201 + Upload-Offset, or 200 + receipt if that was all
    HEAD  /sync/v1/uploads/<sha>                                           → Upload-Offset, -Length
    PATCH /sync/v1/uploads/<sha>      Upload-Offset, application/offset+octet-stream
                                      → 200 + Upload-Offset and no body (tus says 204, but waitress closes
                                        the connection after a 204), or 200 + the signed receipt
                                        when the last byte is in (verified and ingested)
    POST  /sync/v1/uploads/<sha>/finish                                    → 200 + receipt

Other requests are signed by the node (`sign_request`): blob "have" checks, fetching the next
down-going parcel, returning its receipt. Every call has a connect and a read timeout, and failures
are retried with exponential backoff and full jitter; a retry of an upload first asks the offset
(HEAD), so bytes that reached the center are never sent again and nothing restarts from zero.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable

import requests

from motcua import errors as E
from sync import crypto

logger = logging.getLogger(__name__)

UPLOADS = "/sync/v1/uploads"
# One request carries the rest of a parcel: the center keeps every byte that arrived before a cut,
# so a bigger request loses nothing and saves a round trip per chunk.
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024
PIECE_BYTES = 64 * 1024                  # the center checks each piece against its signed hash
UPLOAD_FIELDS = ("Upload-Length", "Upload-Offset", "Motcua-Parcel-Sha256", "Motcua-Piece-Bytes",
                 "Motcua-Piece-Sha256")
TUS_RESUMABLE = "1.0.0"
CREATE_SETTLE_S = 0.2      # before asking again where an upload cut during its create stands


class TransportError(Exception):
    """The center could not be reached or answered badly: a catalogue message (`motcua.errors`),
    its stable `code`, and the sentence in either language (`message_vi` is the clerk's)."""

    def __init__(self, message: E.Message | E.Said | str, *, retryable: bool = True):
        self.said = E.as_said(message)
        self.message_vi = self.said.text("vi") if self.said else str(message)
        super().__init__(self.message_vi)
        self.code = self.said.code if self.said else "center_unreachable"
        self.retryable = retryable

    @property
    def message_en(self) -> str:
        return self.said.text("en") if self.said else self.message_vi


@dataclass
class RetryPolicy:
    """How hard to try: consecutive failures allowed, and backoff bounds in seconds."""
    attempts: int = 8
    base_s: float = 0.5
    cap_s: float = 30.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0

    def delay(self, failures: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base·2^n)], so many points do not retry in step."""
        return rng.uniform(0, min(self.cap_s, self.base_s * (2 ** failures)))


def request_message(method: str, path: str, stamp: str, body: bytes) -> bytes:
    """What a signed request covers: method, path, the node's stamp and a hash of the body."""
    return "\n".join([method.upper(), path, stamp, hashlib.sha256(body).hexdigest()]).encode()


def sign_request(identity: crypto.Identity, node_id: str, method: str, path: str,
                 body: bytes, *, purpose: str = "request") -> dict[str, str]:
    """Headers that prove the request comes from `node_id` (purpose "request")."""
    stamp = str(int(time.time() * 1000))
    signature = crypto.sign(request_message(method, path, stamp, body), identity, purpose=purpose)
    return {"Motcua-Node": node_id, "Motcua-Stamp": stamp,
            "Motcua-Signature": base64.b64encode(signature).decode()}


def verify_request(headers, method: str, path: str, body: bytes,
                   sign_pub_for: Callable[[str], bytes | None], *, purpose: str = "request") -> str:
    """The node id of a correctly signed request. :raises crypto.CryptoRefused: bad_signature."""
    node_id = headers.get("Motcua-Node", "")
    sign_pub = sign_pub_for(node_id) if node_id else None
    if sign_pub is None:
        raise crypto.CryptoRefused("bad_signature", "unknown node")
    try:
        signature = base64.b64decode(headers.get("Motcua-Signature", ""), validate=True)
    except ValueError:
        raise crypto.CryptoRefused("bad_signature", "signature is not base64") from None
    crypto.verify(request_message(method, path, headers.get("Motcua-Stamp", ""), body), signature,
                  sign_pub, purpose=purpose)
    return node_id


def upload_descriptor(headers) -> bytes:
    """What an upload request's signature covers in place of its body (the body is streamed to
    disk before it could be hashed, and is checked piece by piece against the signed hashes)."""
    return "\n".join(str(headers.get(name, "")) for name in UPLOAD_FIELDS).encode()


def sign_upload(identity: crypto.Identity, node_id: str, method: str, path: str,
                fields: dict[str, str]) -> dict[str, str]:
    """Headers that bind an upload call (create, offset, append, finish) to `node_id`
    (purpose "upload"): method, path, stamp and the upload headers in `fields`."""
    return sign_request(identity, node_id, method, path, upload_descriptor(fields),
                        purpose="upload")


def piece_hashes(data: bytes, piece_bytes: int = PIECE_BYTES) -> str:
    """SHA-256 of every `piece_bytes` slice of a parcel, comma-separated (signed at creation)."""
    return ",".join(hashlib.sha256(data[i:i + piece_bytes]).hexdigest()
                    for i in range(0, max(len(data), 1), piece_bytes))


def response_message(request_signature: str, body: bytes) -> bytes:
    """A signed answer is bound to the request it answers, so it cannot be replayed to another."""
    return request_signature.encode() + b"\n" + hashlib.sha256(body).digest()


class HttpTransport:
    """The node's side of the HTTP protocol, with retries; one instance per sync round."""

    def __init__(self, base_url: str, *, node_id: str = "", identity: crypto.Identity | None = None,
                 center_sign_pub: bytes | None = None, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                 policy: RetryPolicy | None = None, session: requests.Session | None = None,
                 rng: random.Random | None = None, sleep: Callable[[float], None] = time.sleep,
                 on_trouble: Callable[[str], None] | None = None):
        self.base = base_url.rstrip("/")
        # Told of each failure as it happens (before the backoff), so what shows the link's state
        # can say "offline" at once instead of after the round's last retry.
        self.on_trouble = on_trouble
        self.node_id, self.identity, self.center_sign_pub = node_id, identity, center_sign_pub
        self.chunk_bytes = chunk_bytes
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self._given_session = session is not None     # e.g. in process: not ours to duplicate
        self.rng = rng or random.Random()
        self.sleep = sleep
        self.bytes_sent = 0          # request bodies that left this process (resends included)
        self.give_up = threading.Event()   # set: an upload that fails is not tried again

    def close(self) -> None:
        self.session.close()

    def fork(self) -> "HttpTransport | None":
        """Another transport to the same center with the same keys and policy, on its own session
        (its own TCP connection): what a second upload in flight uses (`sync.carrier.Pipeline`).
        None when this one was handed a session of its own (in process, a test's)."""
        if self._given_session:
            return None
        return HttpTransport(self.base, node_id=self.node_id, identity=self.identity,
                             center_sign_pub=self.center_sign_pub, chunk_bytes=self.chunk_bytes,
                             policy=self.policy, rng=random.Random(self.rng.random()),
                             sleep=self.sleep)

    # -- plumbing ---------------------------------------------------------------------------------

    def _trouble(self, message_vi: str) -> None:
        if self.on_trouble is not None:
            try:
                self.on_trouble(message_vi)
            except Exception:                 # noqa: BLE001 - telling must never stop a round
                logger.exception("could not record the link's trouble")

    def _timeout(self) -> tuple[float, float]:
        return (self.policy.connect_timeout_s, self.policy.read_timeout_s)

    def _call(self, method: str, path: str, *, body: bytes = b"", headers=None,
              signed: bool = False) -> requests.Response:
        """One HTTP request, no retry. :raises requests.RequestException: on the network."""
        headers = dict(headers or {})
        if signed:
            headers.update(sign_request(self.identity, self.node_id, method, path, body))
        self.bytes_sent += len(body)
        return self.session.request(method, self.base + path, data=body or None, headers=headers,
                                    timeout=self._timeout())

    def _retrying(self, what: E.Phrase, step: Callable[[], object]):
        """Run `step` until it returns, backing off on network errors and 5xx/429 answers."""
        failures = 0
        while True:
            try:
                return step()
            except (requests.RequestException, _Retry) as exc:
                failures += 1
                if failures >= self.policy.attempts:
                    raise TransportError(E.SYNC_UNREACHABLE(what=what, why=_plain(exc))) from None
                self._trouble(E.SYNC_UNREACHABLE(what=what, why=_plain(exc)).text("vi"))
                pause = self.policy.delay(failures, self.rng)
                logger.info("%s failed (%s), retry %d in %.1f s", what, _plain(exc), failures, pause)
                self.sleep(pause)

    @staticmethod
    def _check(response: requests.Response, *ok: int) -> requests.Response:
        if response.status_code in ok:
            return response
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retry(f"HTTP {response.status_code}")
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}"
        raise TransportError(E.CENTER_SAID_NO(detail=message), retryable=False)

    # -- uploads ----------------------------------------------------------------------------------

    def upload_parcel(self, data: bytes) -> bytes:
        """Deliver one parcel, resuming after every cut; returns the center's receipt bytes.

        The first request creates the upload and carries the whole parcel (tus
        creation-with-upload), so a parcel costs one round trip. After a cut, HEAD says the exact
        byte the center holds and the rest goes at once; the client backs off only when the link
        does not answer (or the center answers 5xx/429), never for a cut it could resume.
        :raises TransportError: the link stayed down for all retries, or the center refused.
        """
        sha = crypto.sha256_hex(data)
        url = f"{UPLOADS}/{sha}"
        offset: int | None = None
        created = False
        creates = 0
        looked_again = False
        failures = 0
        while True:
            try:
                if not created:
                    created = True        # cut or not, ask HEAD next (404: create again)
                    creates += 1
                    # Only the first create carries the parcel. Created again (HEAD said 404), it
                    # carries nothing: the first one's bytes may still be on their way into the
                    # center (a cut reaches the client before the center has even read the
                    # request), and a body the center then finds it holds is sent for nothing.
                    done, offset = self._create(sha, data, with_body=creates == 1)
                    if done is not None:
                        return done
                if offset is None:
                    r = self._upload_call("HEAD", url)
                    if r.status_code == 404 and creates == 1 and not looked_again:
                        # Cut during the create: on a fast link the center may not have started
                        # on the request yet (its bytes wait in its socket). Look once more.
                        looked_again = True
                        self.sleep(CREATE_SETTLE_S)
                        continue
                    if r.status_code == 404:          # not there: create it again
                        created = False
                        continue
                    offset = int(self._check(r, 200).headers["Upload-Offset"])
                    failures = 0                      # the link answers: resume at once
                if offset >= len(data):
                    return self._check(self._upload_call("POST", url + "/finish"), 200).content
                r = self._upload_call("PATCH", url, data[offset:offset + self.chunk_bytes],
                                      {"Upload-Offset": str(offset),
                                       "Content-Type": "application/offset+octet-stream"})
                if r.status_code in (409, 404):      # out of step, or a damaged piece dropped
                    offset = None
                    continue
                if self._check(r, 200, 204).content:  # the last chunk: the answer is the receipt
                    return r.content
                offset = int(r.headers["Upload-Offset"])
                failures = 0
            except (requests.RequestException, _Retry, KeyError, ValueError) as exc:
                reached = offset is not None or isinstance(exc, _CutMidBody)
                offset = None                         # ask where it stands before sending more
                failures += 1
                if failures >= self.policy.attempts or self.give_up.is_set():
                    raise TransportError(E.SYNC_UNREACHABLE(what=E.STEP_UPLOAD,
                                                            why=_plain(exc))) from None
                if reached and failures == 1 and not isinstance(exc, _Retry):
                    # A cut while the link was carrying data: reconnect now (HEAD tells the
                    # byte); back off only if that fails too.
                    logger.info("upload %s cut (%s), resuming at once", sha[:12], _plain(exc))
                    continue
                self._trouble(E.SYNC_UNREACHABLE(what=E.STEP_UPLOAD, why=_plain(exc)).text("vi"))
                pause = self.policy.delay(failures, self.rng)
                logger.info("upload %s cut (%r), retry %d in %.1f s", sha[:12], exc,
                            failures, pause)
                self.sleep(pause)

    def _upload_call(self, method: str, path: str, body: bytes = b"",
                     fields: dict[str, str] | None = None) -> requests.Response:
        """One upload request, signed (purpose "upload") over its upload headers."""
        fields = dict(fields or {})
        headers = {"Tus-Resumable": TUS_RESUMABLE, **fields}
        if self.identity is not None:
            headers.update(sign_upload(self.identity, self.node_id, method, path, fields))
        self.bytes_sent += len(body)
        try:
            return self.session.request(method, self.base + path, data=body or None,
                                        headers=headers, timeout=self._timeout())
        except requests.ConnectionError as exc:
            if body:
                raise _CutMidBody(str(exc)) from None
            raise

    def _create(self, sha: str, data: bytes, *, with_body: bool = True) -> tuple[bytes | None, int]:
        """Create the upload, with its first chunk as body unless told not to: (receipt if that
        finished it, offset)."""
        fields = {"Upload-Length": str(len(data)), "Motcua-Parcel-Sha256": sha,
                  "Motcua-Piece-Bytes": str(PIECE_BYTES), "Motcua-Piece-Sha256": piece_hashes(data),
                  "Content-Type": "application/offset+octet-stream"}
        body = data[:self.chunk_bytes] if with_body else b""
        r = self._upload_call("POST", UPLOADS, body, fields)
        if r.status_code == 200:
            return r.content, len(data)
        return None, int(self._check(r, 201).headers["Upload-Offset"])

    # -- signed requests --------------------------------------------------------------------------

    def _signed_json(self, path: str, payload: dict, what: E.Phrase) -> dict:
        body = json.dumps(payload, separators=(",", ":")).encode()

        def step():
            r = self._check(self._call("POST", path, body=body, signed=True,
                                       headers={"Content-Type": "application/json"}), 200)
            sent_sig = r.request.headers.get("Motcua-Signature", "")
            self._verify_answer(sent_sig, r)
            return r.json()
        return self._retrying(what, step)

    def _verify_answer(self, request_signature: str, r: requests.Response) -> None:
        try:
            signature = base64.b64decode(r.headers.get("Motcua-Signature", ""), validate=True)
            crypto.verify(response_message(request_signature, r.content), signature,
                          self.center_sign_pub, purpose="response")
        except (ValueError, crypto.CryptoRefused):
            raise TransportError(E.CENTER_ANSWER_UNSIGNED, retryable=False) from None

    def have_blobs(self, shas: list[str]) -> dict:
        """{"held": [sha…], "partial": {sha: [offset…]}} as signed by the center."""
        return self._signed_json("/sync/v1/blobs/have", {"blobs": shas}, E.STEP_BLOBS)

    def fetch_blob(self, sha256: str) -> bytes | None:
        """A file the center holds on one of this point's dossiers, checked against its hash;
        None when the center has no such file for this point.
        :raises TransportError: unreachable, or bytes that are not what the hash names."""
        body = json.dumps({"sha256": sha256}).encode()

        def step():
            r = self._call("POST", "/sync/v1/blobs/get", body=body, signed=True,
                           headers={"Content-Type": "application/json"})
            if r.status_code == 404:
                return None
            return self._check(r, 200).content
        data = self._retrying(E.STEP_FILE, step)
        if data is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise TransportError(E.FILE_HASH_MISMATCH, retryable=False)
        return data

    def standing(self) -> dict:
        """Where the center stands with this point (after a restore; docs/protocol.md), signed."""
        return self._signed_json("/sync/v1/standing", {}, E.STEP_STANDING)

    def heartbeat(self, doc: bytes) -> dict:
        """Hand the center this point's signed heartbeat (`sync.heartbeat`); what it stored."""
        def step():
            return self._check(self._call("POST", "/sync/v1/heartbeat", body=doc, signed=True,
                                          headers={"Content-Type": "application/json"}), 200).json()
        return self._retrying(E.STEP_HEARTBEAT, step)

    def rotate_keys(self, request_doc: bytes) -> dict:
        """Send a key rotation request (`sync.key_rotation`); the center's signed answer document.
        :raises TransportError: unreachable, or refused (revoked point, bad endorsement)."""
        payload = json.loads(request_doc)
        return self._signed_json("/sync/v1/rotate", payload, E.STEP_ROTATE)["answer"]

    def next_down_parcel(self) -> bytes | None:
        """The next parcel the center has for this node, or None when nothing is owed."""
        def step():
            r = self._call("POST", "/sync/v1/down/next", signed=True)
            if r.status_code == 204:
                return None
            return self._check(r, 200).content
        return self._retrying(E.STEP_DOWN, step)

    def send_down_receipt(self, receipt: bytes) -> dict:
        """Hand the center this node's signed receipt for a down-going parcel."""
        def step():
            return self._check(self._call("POST", "/sync/v1/down/receipt", body=receipt,
                                          signed=True,
                                          headers={"Content-Type": "application/json"}), 200).json()
        return self._retrying(E.STEP_RECEIPT, step)


class _Retry(Exception):
    """A server answer worth retrying (5xx, 429)."""


class _CutMidBody(requests.ConnectionError):
    """The link broke while a request body was on its way (the center kept what arrived)."""


def _plain(exc: BaseException) -> E.Phrase | str:
    if isinstance(exc, requests.Timeout):
        return E.WHY_TIMED_OUT
    if isinstance(exc, requests.ConnectionError):
        return E.WHY_CUT
    return str(exc)[:200] or type(exc).__name__
