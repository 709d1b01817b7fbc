"""Scanning straight from the desk's scanner through SANE's `scanimage`, so a clerk presses one button
instead of saving files and uploading them.

The pages come back as PNG bytes and go through the same checks and storage as uploaded scans
(`node.reception.attach_scan`). SANE finds devices by its own configuration; `SANE_CONFIG_DIR` in the
environment is passed through (the tests use SANE's `test` backend that way).
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from motcua import errors as E
from motcua.errors import DomainError, InvalidInput

logger = logging.getLogger(__name__)

MODES = ("Gray", "Color", "Lineart")
MAX_PAGES = 50


class ScannerUnavailable(DomainError):
    status = 503
    code = "scanner_unavailable"


@dataclass(frozen=True)
class Scanner:
    device: str
    description: str


def _scanimage() -> str:
    path = shutil.which("scanimage")
    if not path:
        raise ScannerUnavailable(E.SCANNER_NOT_INSTALLED)
    return path


def list_scanners(timeout: float = 20.0) -> list[Scanner]:
    """The scanners SANE can see now (may be empty)."""
    try:
        out = subprocess.run([_scanimage(), "-f", "%d|%v %m%n"], capture_output=True, text=True,
                             timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        raise ScannerUnavailable(E.SCANNER_SILENT) from None
    found = []
    for line in out.splitlines():
        device, _, description = line.partition("|")
        if device.strip():
            found.append(Scanner(device.strip(), description.strip()))
    return found


def scan_pages(device: str | None = None, *, pages: int = 1, mode: str = "Gray",
               resolution: int = 150, feeder: bool = False, timeout: float = 300.0) -> list[bytes]:
    """Scan `pages` pages (from the document feeder when `feeder`) and return them as PNG bytes.

    :raises InvalidInput: bad options; ScannerUnavailable: no scanner, or it failed.
    """
    if not isinstance(pages, int) or not 1 <= pages <= MAX_PAGES:
        raise InvalidInput(E.SCAN_PAGES(max=MAX_PAGES), field="pages")
    if mode not in MODES:
        raise InvalidInput(E.SCAN_MODE, field="mode")
    if not isinstance(resolution, int) or not 50 <= resolution <= 600:
        raise InvalidInput(E.SCAN_RESOLUTION, field="resolution")
    if device is None:
        scanners = list_scanners()
        if not scanners:
            raise ScannerUnavailable(E.SCANNER_NONE)
        device = scanners[0].device
    with tempfile.TemporaryDirectory(prefix="motcua-scan-") as tmp:
        cmd = [_scanimage(), "-d", device, "--format=png", "--mode", mode,
               "--resolution", str(resolution), f"--batch={tmp}/page%03d.png",
               f"--batch-count={pages}"]
        if feeder:
            cmd += ["--source", "Automatic Document Feeder"]
        logger.info("scanning %d page(s) on %s", pages, device)
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ScannerUnavailable(E.SCANNER_SLOW) from None
        files = sorted(Path(tmp).glob("page*.png"))
        if not files:
            logger.warning("scan failed on %s: %s", device, result.stderr.strip()[-500:])
            raise ScannerUnavailable(E.SCANNER_FAILED(device=device))
        return [f.read_bytes() for f in files]
