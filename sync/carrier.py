"""What carries parcels between a point and its center, whatever the medium: the carrier interface,
the report of one round, and the HTTP and in-process carriers (the USB stick's is `sync.stickcarrier`).

A round (`node.rounds.run_round`) only ever asks a carrier to:

- put a parcel for the center → its signed receipt now, or **nothing yet** (None: the receipt comes
  on a later trip, through `take_receipts`); scan chunks go through the carrier's `pipeline()`,
  two in flight on HTTP, their outcomes taken back in order;
- take the receipts that came back later, the parcels that came down (in the order to apply
  them), and answers to requests (a key rotation);
- put this point's receipts for the down parcels, requests (enrollment, key rotation) and its
  heartbeat (what it tells the center about itself on every round);
- say which scans the center already holds (None: it cannot be asked now), and whether a chunk of
  a given size still has room on this trip;
- say where the center stands with this point (a point restored from a backup asks before it sends
  anything; None: it cannot be asked now, as on a stick).

Receipts, parcels and requests are the same bytes on every carrier; checking them (signatures,
which parcel a receipt names) is the round's business, never the carrier's. A carrier is `live`
when answers come within the call (HTTP): then an answer it lacks is an error of this round.
A folder is not live: nothing comes back until the stick has been to the center and back.
"""
from __future__ import annotations

import io
import logging
import queue
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from motcua import errors as E
from sync import crypto
from sync.parcel import ParcelRefused
from sync.transport import HttpTransport, RetryPolicy

logger = logging.getLogger(__name__)


class NotCarried(Exception):
    """This parcel could not go on this trip (a name taken on the stick); others may."""


class CarrierFull(NotCarried):
    """Nothing more goes on this trip (the stick, or the lane's cap, is full)."""


Note = E.Said | str          # a catalogue sentence (either language), or a sentence passed on


def say(note: Note, lang: str = "vi") -> str:
    """A report's note in `lang` ("vi" or "en")."""
    return note.text(lang) if isinstance(note, E.Said) else str(note)


@dataclass
class TripReport:
    """What one round or one trip did, for the CLI and the clerk's summary, in either language:
    the notes are catalogue sentences (`motcua.errors`), rendered by `lines` and `to_dict`."""
    went: list[Note] = field(default_factory=list)       # what this side wrote for the other
    came: list[Note] = field(default_factory=list)       # what this side took in
    refused: list[tuple[str, str, Note]] = field(default_factory=list)   # (file, code, message)
    ignored: list[tuple[str, Note]] = field(default_factory=list)        # (file or lane, why)
    left: list[Note] = field(default_factory=list)       # what waits for the next trip
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def refuse(self, name: str, exc: ParcelRefused) -> None:
        """A file not taken, with its reason, logged; the trip goes on with the rest."""
        logger.warning("carrier: %s refused: %s (%s)", name, exc.reason, exc.message_vi)
        self.refused.append((name, exc.reason, exc.said or exc.message_vi))

    def leave(self, name: str, why: Note) -> None:
        """An entry left as it is (not this side's, or not a regular file), logged."""
        logger.warning("carrier: %s left alone: %s", name, why)
        self.ignored.append((name, why))

    def lines(self, lang: str = "vi") -> list[str]:
        out = [E.TRIP_WENT.text(lang, what=say(x, lang)) for x in self.went]
        out += [E.TRIP_CAME.text(lang, what=say(x, lang)) for x in self.came]
        out += [E.TRIP_REFUSED.text(lang, file=name, code=code, message=say(msg, lang))
                for name, code, msg in self.refused]
        out += [E.TRIP_IGNORED.text(lang, file=name, why=say(why, lang)) for name, why in self.ignored]
        out += ([E.TRIP_LEFT.text(lang, what=say(x, lang)) for x in self.left]
                or [E.TRIP_NOTHING_LEFT.text(lang)])
        return out

    def to_dict(self, lang: str = "vi") -> dict:
        return {"went": [say(x, lang) for x in self.went], "came": [say(x, lang) for x in self.came],
                "left": [say(x, lang) for x in self.left], "counts": self.counts,
                "refused": [{"file": f, "code": c, "message": say(m, lang)} for f, c, m in self.refused],
                "ignored": [{"file": f, "why": say(w, lang)} for f, w in self.ignored]}


class Pipeline:
    """Parcels put up to `depth` at a time, their outcomes taken back in the order they were put.

    On a live link one parcel at a time leaves the link idle for a round trip and the center's work
    on every parcel (open, store, receipt); with two in flight the next one's bytes flow meanwhile,
    so the link stays full. Each slot is one `put` function (on a live carrier: its own
    connection). With one slot, `put` runs at once in the caller's thread (a stick, in process).
    Only content-addressed parcels (scan chunks) go through a pipeline: chained parcels must
    arrive in order and are put one by one.
    """

    def __init__(self, puts: list[Callable[[bytes], bytes | None]],
                 on_close: Callable[[], None] | None = None,
                 on_abandon: Callable[[], None] | None = None):
        self.depth = len(puts)
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for put in puts:
            self._free.put(put)
        self._pool = (ThreadPoolExecutor(self.depth, thread_name_prefix="motcua-put")
                      if self.depth > 1 else None)
        self._pending: deque[tuple[object, Future]] = deque()
        self._on_close, self._on_abandon = on_close, on_abandon

    def put(self, data: bytes, tag: object) -> list[tuple[object, Future]]:
        """Start putting `data`; returns (tag, outcome) of the parcels that had to finish to make
        room, oldest first (`outcome.result()`: the receipt, or None; or raises as `put` did)."""
        if self._pool is None:
            future: Future = Future()
            try:
                future.set_result(self._run(data))
            except Exception as exc:          # handed to the caller through the future
                future.set_exception(exc)
        else:
            future = self._pool.submit(self._run, data)
        self._pending.append((tag, future))
        done = []
        while len(self._pending) >= self.depth:
            tag_, future_ = self._pending.popleft()
            wait([future_])
            done.append((tag_, future_))
        return done

    def drain(self) -> list[tuple[object, Future]]:
        """Wait for every parcel still in flight; their (tag, outcome), oldest first."""
        done = list(self._pending)
        self._pending.clear()
        wait([future for _, future in done])
        return done

    def _run(self, data: bytes) -> bytes | None:
        put = self._free.get()
        try:
            return put(data)
        finally:
            self._free.put(put)

    def close(self) -> None:
        """Cancel what has not started; wait for what is on the way, which gives up at its next
        failure when the round ended early (`on_abandon`)."""
        for _, future in self._pending:
            future.cancel()
        if self._pending and self._on_abandon is not None:
            self._on_abandon()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Carrier:
    """The interface every carrier implements; the defaults are those of a carrier with nothing to
    say (no late receipts, no down parcels, no room limit)."""

    live = False      # receipts and answers come back within the call that sent the parcel

    def open(self, report: TripReport, *, up: bool, down: bool) -> None:
        """Get ready for a round that sends (`up`) and/or takes (`down`); before anything is
        acknowledged. :raises: the carrier's one-line error when it cannot be used at all."""

    def finish(self, report: TripReport) -> None:
        """After a round that went to its end: leave the medium consistent (a stick's manifest)."""

    def use_identity(self, identity: crypto.Identity) -> None:
        """Sign with these keys from now on (the point switched keys during the round)."""

    # -- towards the center -----------------------------------------------------------------------

    def put_parcel(self, data: bytes) -> bytes | None:
        """Carry one parcel; its receipt now, or None when the receipt comes on a later trip.
        :raises NotCarried: this one did not go (CarrierFull: nor will anything else this trip)."""
        raise NotImplementedError

    def pipeline(self) -> Pipeline:
        """Where content-addressed parcels (scan chunks) are put: on this carrier, one at a time."""
        return Pipeline([self.put_parcel])

    def has_room(self, nbytes: int) -> bool:
        """Whether a parcel of about `nbytes` still fits on this trip (asked before sealing one)."""
        return True

    def held_blobs(self, shas: list[str]) -> dict | None:
        """{"held": [sha…], "partial": {sha: [offset…]}} as the center says now, or None when it
        cannot be asked (the round then goes by the receipts it has)."""
        return None

    def standing(self) -> dict | None:
        """Where the center stands with this point, signed by it (`POST /sync/v1/standing`,
        docs/protocol.md "Restoring a point"), or None when it cannot be asked now. Asking makes
        the center owe the point its dossiers' events again."""
        return None

    def put_enrollment(self, request: bytes | None) -> None:
        """Carry this point's sealed enrollment request (None: there is none any more)."""

    def put_standing_request(self, request: bytes | None) -> None:
        """Carry a restored point's signed question "where do I stand?" (`sync.standingfile`)
        to a center that answers on a later trip (None: no question waits any more)."""

    def take_standing(self) -> bytes | None:
        """The center's signed answer to that question, if it came back on this trip."""
        return None

    def put_heartbeat(self, doc: bytes) -> None:
        """Carry this point's signed heartbeat (`sync.heartbeat`); a newer one replaces it."""

    def put_rotation(self, request: bytes | None) -> bytes | dict | None:
        """Carry a key rotation request (None: none waits); the center's answer now, or None."""
        return None

    def put_receipt(self, parcel_sha256: str, receipt: bytes) -> None:
        """Hand the center this point's signed receipt for one of its down parcels."""

    # -- from the center --------------------------------------------------------------------------

    def take_receipts(self) -> Iterable[tuple[str, bytes]]:
        """Receipts that came back since parcels were put: (the parcel's SHA-256 they are filed
        under, the receipt's bytes). Whether a receipt really names that parcel is checked by the
        round."""
        return ()

    def take_rotation_answer(self) -> bytes | None:
        """The center's answer to a key rotation request carried earlier, if one came back."""
        return None

    def take_file(self, sha256: str) -> bytes | None:
        """A file the center attached to one of this point's dossiers (a result PDF), checked
        against its hash, or None when it cannot be had on this trip (a USB stick carries none:
        the file waits for the next live round)."""
        return None

    def take_down(self) -> Iterable[bytes]:
        """The center's parcels for this point, in the order to apply them (a list when the
        carrier knows them all at once). A carrier may offer the same parcel again until its
        receipt is in (HTTP does): the round stops it."""
        return ()


class HttpCarrier(Carrier):
    """Over `sync.transport.HttpTransport`: resumable uploads, signed requests, retries."""

    live = True
    depth = 2            # uploads in flight at once in a pipeline (each on its own connection)

    def __init__(self, transport: HttpTransport):
        self.transport = transport

    def pipeline(self) -> Pipeline:
        """Scan chunks two at a time, each slot on its own connection, so the link carries the next
        chunk while the center takes in the last one and its receipt comes back."""
        forks = [self.transport.fork() for _ in range(self.depth)]
        if self.depth < 2 or None in forks:
            return super().pipeline()

        def close() -> None:
            for fork in forks:
                self.transport.bytes_sent += fork.bytes_sent
                fork.close()
        return Pipeline([fork.upload_parcel for fork in forks], on_close=close,
                        on_abandon=lambda: [fork.give_up.set() for fork in forks])

    def close(self) -> None:
        self.transport.close()

    def use_identity(self, identity: crypto.Identity) -> None:
        self.transport.identity = identity

    def put_parcel(self, data: bytes) -> bytes:
        return self.transport.upload_parcel(data)

    def held_blobs(self, shas: list[str]) -> dict:
        return self.transport.have_blobs(shas)

    def standing(self) -> dict:
        return self.transport.standing()

    def put_rotation(self, request: bytes | None) -> dict | None:
        return None if request is None else self.transport.rotate_keys(request)

    def put_heartbeat(self, doc: bytes) -> None:
        self.transport.heartbeat(doc)

    def put_receipt(self, parcel_sha256: str, receipt: bytes) -> None:
        self.transport.send_down_receipt(receipt)

    def take_file(self, sha256: str) -> bytes | None:
        return self.transport.fetch_blob(sha256)

    def take_down(self) -> Iterator[bytes]:
        while True:
            parcel = self.transport.next_down_parcel()
            if parcel is None:
                return
            yield parcel


class InProcessCarrier(HttpCarrier):
    """The HTTP protocol handed straight to a center's Flask app in this process (its test client,
    no socket): the whole of the center's sync endpoints and the point's transport, minus TCP.
    For tests and tools that hold both sides."""

    depth = 1            # no link to keep full, and one app in this process: one at a time

    def __init__(self, app, *, node_id: str, identity: crypto.Identity, center_sign_pub: bytes,
                 policy: RetryPolicy | None = None, chunk_bytes: int | None = None):
        kwargs = {"chunk_bytes": chunk_bytes} if chunk_bytes else {}
        super().__init__(HttpTransport(IN_PROCESS_URL, node_id=node_id, identity=identity,
                                       center_sign_pub=center_sign_pub, policy=policy,
                                       session=in_process_session(app), **kwargs))


IN_PROCESS_URL = "http://center.in-process"


def in_process_session(app) -> requests.Session:
    """A `requests` session whose every request goes to `app` (a WSGI app with `test_client`)."""
    session = requests.Session()
    adapter = _TestClientAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _TestClientAdapter(BaseAdapter):
    """Turns a prepared `requests` request into a call on the app's test client, and its answer
    into a `requests.Response` (status, headers, body, and the request it answers)."""

    def __init__(self, app):
        super().__init__()
        self.client = app.test_client()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        answer = self.client.open(parts.path + (f"?{parts.query}" if parts.query else ""),
                                  method=request.method, headers=dict(request.headers),
                                  data=body)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.get_data()
        response.raw = io.BytesIO(response._content)
        response.url, response.request, response.reason = request.url, request, answer.status
        response.encoding = answer.mimetype_params.get("charset")
        answer.close()
        return response

    def close(self) -> None:
        """Nothing to release: no socket."""
