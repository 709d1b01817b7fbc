"""Papers after a dossier is saved: scans added, replaced or removed per required document, and a
supplement received (5 → 4, "Nhận bổ sung, xử lý tiếp") together with the papers it brought.

Everything goes through the domain functions of `node.reception` (so through `node.apply`): each
scan is made durable and journaled as `attachment.added`, a removal as `attachment.removed`, the
move back to processing as `dossier.transitioned` (which restarts the clock). Every file is checked
before anything is written, so a bad file in a batch changes nothing; the files are made durable
first, then every event of one act (the papers and the move, or a replacement's addition and
removal) is committed in ONE transaction, so a failure leaves none of them.
"""
from __future__ import annotations

from datetime import datetime

from motcua import errors as E, legaltime
from motcua.errors import Conflict, InvalidInput
from motcua.lifecycle import Status
from node import catalogue, reception
from node.models import Dossier, db
from node.scans import check_scan


def requirement_keys(dossier: Dossier) -> set[str]:
    """The keys of the required documents of the dossier's procedure (in its catalogue version)."""
    procedure = catalogue.Procedure.get(code=dossier.procedure_code,
                                        catalogue_version=dossier.catalogue_version)
    return {r.key for r in catalogue.requirements_of(procedure)}


def _check_files(dossier: Dossier, files: list[tuple[str, bytes, str | None]],
                 max_bytes: int) -> None:
    """Every (requirement, bytes, filename) names one of the dossier's papers and is a scan we take.

    :raises InvalidInput/TooLarge: the first bad file, its name in the message's field.
    """
    keys = requirement_keys(dossier)
    for key, data, name in files:
        if key not in keys:
            raise InvalidInput(E.UNKNOWN_REQUIREMENT(key=key), field=f"scan-{key}")
        try:
            check_scan(data, max_bytes)
        except E.DomainError as exc:
            raise InvalidInput(E.SCAN_FILE_BAD(filename=name or key, why=exc.said or exc.message_vi),
                               field=f"scan-{key}") from None


def add_scans(code: str, files: list[tuple[str, bytes, str | None]], actor: str, store, *,
              max_bytes: int, replace: str | None = None, now: datetime | None = None) -> list:
    """Attach scans to a saved dossier, each to its required document; with `replace`, the scan of
    that SHA-256 is then removed (a replacement is an addition and a journaled removal).

    :raises InvalidInput/TooLarge: a bad file or requirement (nothing written);
        NotFound: no such dossier or no such scan to replace.
    """
    dossier = reception.get_dossier(code)
    if not files:
        raise InvalidInput(E.SCAN_FILE_MISSING, field="file")
    _check_files(dossier, files, max_bytes)
    if replace and not any(a.sha256 == replace for a in reception.active_attachments(dossier)):
        raise E.NotFound(E.ATTACHMENT_NOT_FOUND)
    for _key, data, _name in files:
        store.put(data)                  # durable before the transaction names it
    with db.atomic("IMMEDIATE"):         # the domain functions' own transactions nest as savepoints
        added = [reception.attach_scan(code, data, key, actor, store, max_bytes=max_bytes,
                                       filename=name, now=now) for key, data, name in files]
        if replace and replace not in {a.sha256 for a in added}:
            reception.remove_attachment(code, replace, actor, now=now)
        return added


def receive_supplement(code: str, files: list[tuple[str, bytes, str | None]], actor: str, store, *,
                       max_bytes: int, note: str | None = None,
                       rules: reception.DeskRules = reception.DeskRules(),
                       now: datetime | None = None) -> Dossier:
    """Record the papers a citizen brought for a supplement and move the dossier back to
    processing (the clock restarts): the scans and the move are committed together or not at all.

    :raises Conflict: the dossier is not waiting for a supplement; InvalidInput/TooLarge: a bad
        file (nothing written).
    """
    dossier = reception.get_dossier(code)
    if dossier.status != int(Status.SUPPLEMENT_REQUESTED):
        raise Conflict(E.NOT_WAITING_FOR_SUPPLEMENT)
    _check_files(dossier, files, max_bytes)
    for _key, data, _name in files:
        store.put(data)                  # durable before the transaction names it
    with db.atomic("IMMEDIATE"):
        if reception.get_dossier(code).status != int(Status.SUPPLEMENT_REQUESTED):
            raise Conflict(E.NOT_WAITING_FOR_SUPPLEMENT)     # moved by the center meanwhile
        for key, data, name in files:
            reception.attach_scan(code, data, key, actor, store, max_bytes=max_bytes,
                                  filename=name, now=now)
        return reception.transition(code, int(Status.PROCESSING), actor, reason=note or None,
                                    rules=rules, now=now)


SOURCES = ("flatbed", "feeder")


def scan_into(code: str, key: str, actor: str, store, *, max_bytes: int, source: str = "flatbed",
              mode: str = "Gray", resolution: int = 150, pages: int = 1,
              device: str | None = None) -> list:
    """Scan one required document on the desk's scanner (SANE) and attach it: a single flatbed
    page as a PNG, a feeder batch (or several pages) as ONE PDF, since it is one paper.

    :raises InvalidInput: bad requirement or options (checked before the scanner moves);
        ScannerUnavailable: no scanner, or it failed; NotFound: no such dossier.
    """
    from node.pdfpages import pngs_to_pdf
    from node.scanner import scan_pages
    dossier = reception.get_dossier(code)
    if key not in requirement_keys(dossier):
        raise InvalidInput(E.UNKNOWN_REQUIREMENT(key=key), field=f"scan-{key}")
    if source not in SOURCES:
        raise InvalidInput(E.FIELD_BAD_VALUE, field="source")
    scanned = scan_pages(device, pages=pages, mode=mode, resolution=resolution,
                         feeder=source == "feeder")
    stamp = legaltime.now().strftime("%Y%m%d-%H%M%S")
    if len(scanned) == 1 and source == "flatbed":
        files = [(key, scanned[0], f"quet-{stamp}.png")]
    else:
        files = [(key, pngs_to_pdf(scanned, dpi=resolution), f"quet-{stamp}-{len(scanned)}trang.pdf")]
    return add_scans(code, files, actor, store, max_bytes=max_bytes)
