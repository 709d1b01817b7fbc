"""A dossier's result as a file: the officer's PDF, stored like a scan and sent down to the point.

"Result ready" with a file is two center events in one transaction: `attachment.added` under the
result requirement (`motcua.lifecycle.RESULT_REQUIREMENT`), then the transition to 9. Both go down
to the point in its next parcel like any decision; the file itself the point fetches by its hash
(`POST /sync/v1/blobs/get`, `file_for_point`), so the bytes never ride in the journal and the
point checks them against the hash the signed event named. The PDF is kept in the center's object
store under its hash, like a scan (`central.blobstore`), so every center process serves it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from central.apply import record_center_event
from central.blobstore import CenterBlobs
from central.db import write_transaction
from central.dossiers import get_dossier, transition
from central.models import Attachment, Dossier
from motcua import errors as E, legaltime
from motcua.errors import Conflict, InvalidInput, NotFound, TooLarge
from motcua.lifecycle import RESULT_REQUIREMENT, Status, TransitionRefused, check_transition

MAX_FILENAME = 200


def check_result_file(data: bytes, max_bytes: int) -> None:
    """:raises InvalidInput: empty or not a PDF; TooLarge: over `max_bytes`."""
    if not data:
        raise InvalidInput(E.EMPTY_FILE, field="result_file")
    if len(data) > max_bytes:
        raise TooLarge(E.RESULT_FILE_TOO_LARGE(size=len(data) / 1e6, max=max_bytes / 1e6),
                       field="result_file")
    if not data.startswith(b"%PDF-"):
        raise InvalidInput(E.RESULT_NOT_PDF, field="result_file")


def _safe_name(filename: str | None, code: str) -> str:
    name = Path((filename or "").replace("\\", "/")).name.strip()[:MAX_FILENAME]
    return name if name.lower().endswith(".pdf") and len(name) > 4 else f"ket-qua-{code}.pdf"


def result_ready(code: str, data: bytes, filename: str | None, actor: str, blobs: CenterBlobs, *,
                 max_bytes: int, now: datetime | None = None) -> Dossier:
    """Attach the result PDF and move the dossier to "result ready" (9), at once or not at all.

    The file is stored (durably) first (content-addressed: a retry stores nothing twice).
    :raises InvalidInput/TooLarge: not a PDF, empty or too big; NotFound: no dossier; Conflict: the
        lifecycle does not allow a result now (nothing is recorded then).
    """
    check_result_file(data, max_bytes)
    now = (now or legaltime.now()).replace(microsecond=0)
    sha = hashlib.sha256(data).hexdigest()
    blobs.put_whole(sha, data)
    with write_transaction():
        dossier = get_dossier(code)
        try:
            check_transition(dossier.status, Status.RESULT_READY)
        except TransitionRefused as exc:
            raise Conflict(exc.said) from None
        blobs.confirm_held(sha, now=now)                      # its row: the fold sees it held
        record_center_event("attachment.added", dossier.uid, actor, {
            "sha256": sha, "size": len(data), "mime": "application/pdf",
            "requirement_id": RESULT_REQUIREMENT, "filename": _safe_name(filename, dossier.code)},
            now=now)
        return transition(dossier.uid, Status.RESULT_READY, actor, now=now)


def file_for_point(sha256: str, unit_code: str, blobs: CenterBlobs) -> bytes:
    """The bytes of a file the center holds on one of this point's dossiers.

    :raises NotFound: no such file, or not on a dossier of this point (a point reads only its own).
    """
    blobs.key_for(sha256)                                     # a sha256, or InvalidInput
    owned = (Attachment.select(Attachment.id)
             .join(Dossier, on=(Dossier.uid == Attachment.dossier_uid))
             .where((Attachment.sha256 == sha256) & (Dossier.origin == unit_code)
                    & Attachment.present).exists())
    if not owned:
        raise NotFound(E.FILE_NOT_FOR_POINT)
    try:
        return blobs.read(sha256)
    except FileNotFoundError:
        raise NotFound(E.FILE_NOT_FOR_POINT) from None
