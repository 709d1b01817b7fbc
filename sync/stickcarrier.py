"""A point's carrier over a folder, the USB stick (docs/protocol.md, "Folder (USB) transport").

The point writes only its own `up` lane and reads only its own `down` lane; other points' lanes are
left as they are. Nothing comes back within a trip: a parcel put here is receipted when the stick
has been to the center (`central.ferry`) and back (`take_receipts`). Every path goes through
`sync.folder` and `sync.stickfs`: if this point's lanes are not real folders, or the stick cannot
be written, `open` stops in one line (`StickUnusable`) before anything is acknowledged; a file that
is not a regular file, or is too large, is refused with its reason and the rest goes on.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable

from motcua import errors as E
from sync import crypto, folder as stick
from sync.carrier import Carrier, CarrierFull, NotCarried, TripReport
from sync.enrollfile import REQUEST_FILE_NAME
from sync.events import CENTER_ID
from sync.heartbeat import FILE_NAME as HEARTBEAT_FILE
from sync.key_rotation import ANSWER_FILE_NAME as ROTATE_ANSWER, REQUEST_FILE_NAME as ROTATE_REQUEST
from sync.parcel import ParcelRefused, parcel_file_name, parcel_sha256, peek_header
from sync.standingfile import ANSWER_FILE_NAME as STANDING_ANSWER, REQUEST_FILE_NAME as STANDING_REQUEST
from sync.stickfs import StickRefused

logger = logging.getLogger(__name__)

MARGIN = 256 * 1024          # never fill a stick to the last byte: its file system needs room


class FolderCarrier(Carrier):
    """This point's two lanes on a stick at `folder`; `max_bytes` caps what its `up` lane holds."""

    live = False

    def __init__(self, folder: str | os.PathLike, unit: str, identity: crypto.Identity, *,
                 max_bytes: int | None = None, reader: str = CENTER_ID):
        self.folder, self.unit, self.identity, self.reader = Path(folder), unit, identity, reader
        self.cap = max_bytes if max_bytes is not None else float("inf")
        self.up = self.down = None
        self.sending = self.absent = self.wrote_receipts = False
        self.full = False
        self.keep: set[str] = set()
        self.used = self.room = 0

    def open(self, report: TripReport, *, up: bool, down: bool) -> None:
        self.report, self.sending = report, up
        if down:
            units, odd = stick.survey(self.folder)
            if not up and stick.kind_of(stick.ferry_root(self.folder)) is None:
                report.ignored.append((stick.ROOT_NAME + "/", E.TRIP_NO_ROOT()))
                self.absent = True           # nothing to take, nothing written
                return
        self.up = stick.require_lane(self.folder, self.unit, "up", create=True)
        self.down = stick.require_lane(self.folder, self.unit, "down")
        stick.probe_writable(self.up)        # before anything is acknowledged
        if down:
            for unit in units:
                if unit != self.unit:
                    report.ignored.append((f"motcua/{unit}", E.TRIP_OTHER_POINT()))
            for name, _ in odd:
                report.ignored.append((name, E.TRIP_NOT_A_LANE()))
        if up:
            stick.sweep_temporaries(self.up)
            self.keep = self._receipts_to_keep()
            self.used = sum((self.up / name).lstat().st_size for name in self.keep)
            self.room = stick.free_bytes(self.folder) - MARGIN

    def finish(self, report: TripReport) -> None:
        if self.absent:
            return
        if self.sending:
            self.keep |= self._receipts_to_keep()
            gone = stick.prune(self.up, self.keep, report)
            if gone:
                report.add("pruned", gone)
            c = report.counts
            left = {"parcels": c.get("left_parcels", 0), "chunks": c.get("left_chunks", 0),
                    "bytes": c.get("left_bytes", 0)}
            stick.write_manifest(self.up, self.unit, self.reader, self.identity, left)
        elif self.wrote_receipts:
            try:
                previous = stick.read_manifest(self.up, None)
            except ValueError:
                previous = None
            stick.write_manifest(self.up, self.unit, self.reader, self.identity,
                                 (previous or {}).get("left"))

    def use_identity(self, identity: crypto.Identity) -> None:
        self.identity = identity

    # -- towards the center -----------------------------------------------------------------------

    def has_room(self, nbytes: int) -> bool:
        if self.full or self.used + nbytes > self.cap or nbytes > self.room:
            self.full = True
        return not self.full

    def put_parcel(self, data: bytes) -> None:
        """Write it into the `up` lane unless the very same bytes are already there (a stick used
        twice; a damaged copy is replaced). :raises CarrierFull: over the cap or the free space.
        :raises NotCarried: a folder or special file has its name (it waits for the next trip)."""
        name = parcel_file_name(data)
        path = self.up / name
        there = stick.same_bytes(path, data)
        if self.full or self.used + len(data) > self.cap or (not there and len(data) > self.room):
            self.full = True
            raise CarrierFull(name)
        if not there:
            try:
                stick.write_file(path, data)
            except StickRefused as exc:
                self.report.leave(name, exc.message_vi)
                raise NotCarried(name) from None
            self.room -= len(data)
        self.used += len(data)
        self.keep.add(name)
        return None

    def put_enrollment(self, request: bytes | None) -> None:
        if self._put_doc(REQUEST_FILE_NAME, request):
            self.report.went.append(E.TRIP_WENT_ENROLL())

    def put_standing_request(self, request: bytes | None) -> None:
        if self._put_doc(STANDING_REQUEST, request):
            self.report.went.append(E.TRIP_WENT_STANDING())

    def take_standing(self) -> bytes | None:
        """:raises StickRefused: something other than a readable file lies under its name."""
        path = self.down / STANDING_ANSWER if self.down else None
        if path is None or not stick.present(path):
            return None
        return stick.read_doc(path)

    def put_heartbeat(self, doc: bytes) -> None:
        if self._put_doc(HEARTBEAT_FILE, doc):
            self.report.went.append(E.TRIP_WENT_HEARTBEAT())

    def put_rotation(self, request: bytes | None) -> None:
        if self._put_doc(ROTATE_REQUEST, request):
            self.report.went.append(E.TRIP_WENT_ROTATE())
        return None

    def put_receipt(self, parcel_sha256: str, receipt: bytes) -> None:
        try:
            stick.write_file(stick.receipt_path(self.up, parcel_sha256), receipt)
            self.wrote_receipts = True
        except StickRefused as exc:      # a folder where the receipt goes: left as it is
            self.report.refuse(f"receipts/{parcel_sha256}.json", exc)

    # -- from the center --------------------------------------------------------------------------

    def take_receipts(self) -> Iterable[tuple[str, bytes]]:
        for path in stick.receipt_files(self.down) if self.down else []:
            try:
                yield path.stem, stick.read_doc(path)
            except StickRefused as exc:
                self.report.refuse(path.name, exc)

    def take_rotation_answer(self) -> bytes | None:
        """:raises StickRefused: something other than a readable file lies under its name."""
        path = self.down / ROTATE_ANSWER if self.down else None
        if path is None or not stick.present(path):
            return None
        return stick.read_doc(path)

    def take_down(self) -> list[bytes]:
        chained = []
        for path in stick.parcel_files(self.down) if self.down else []:
            try:
                data = stick.read_parcel(path)
                header = peek_header(data)
            except ParcelRefused as exc:
                self.report.refuse(path.name, exc)
                continue
            if header.recipient != self.unit or header.sender != self.reader:
                self.report.ignored.append((path.name,
                                            E.TRIP_NOT_FOR_POINT(recipient=header.recipient)))
                continue
            chained.append((header.seq, path.name, data))
        return [data for _, _, data in sorted(chained)]

    # -- helpers ----------------------------------------------------------------------------------

    def _put_doc(self, name: str, doc: bytes | None) -> bool:
        """Write a request into the `up` lane, or remove it when none waits; True when written."""
        path = self.up / name
        try:
            if doc is None:
                stick.remove_file(path)
                return False
            stick.write_file(path, doc)
            return True
        except StickRefused as exc:
            self.report.refuse(path.name, exc)
            return False

    def _receipts_to_keep(self) -> set[str]:
        """This point's receipts stay while their down parcel is in the `down` lane."""
        down_shas = set()
        for path in stick.parcel_files(self.down) if self.down else []:
            try:
                down_shas.add(parcel_sha256(stick.read_parcel(path)))
            except StickRefused:
                continue
        return {p.relative_to(self.up).as_posix() for p in stick.receipt_files(self.up)
                if p.stem in down_shas and stick.kind_of(p) == "file"}
