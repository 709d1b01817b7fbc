"""A ticket on the kiosk's thermal printer (ESC/POS), when the `TICKET_PRINTER` setting names one:
`tcp://HOST:PORT` (a network printer's raw port, usually 9100) or `file:/dev/usb/lp0` (a device or
file). Without it the ticket page prints through the browser (receipt-width print CSS).

The bytes are made by `python-escpos` (an optional extra: `pip install motcua[escpos]`). Text is
printed without Vietnamese marks: most receipt printers have no Vietnamese code page, and
"Moi so A012" reads better than question marks. The QR is the printer's own (GS ( k), so no image
is rendered on the node. Printing is best-effort and bounded in time: the number is already issued
and shown on the screen when the printer is asked.
"""
from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class PrintedTicket:
    unit: str
    label: str                   # A012
    group: str
    issued: str                  # 08:15 02/03/2026
    ahead: int
    secret: str
    url: str                     # the ticket's page, for the phone


def plain(text: str) -> str:
    """Vietnamese without marks, case kept: "Đăng ký" → "Dang ky"."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D").encode("ascii", "replace").decode()


def open_printer(target: str):
    """The printer `target` names. :raises ValueError: a target of no known kind."""
    from escpos.printer import File, Network
    parts = urlsplit(target or "")
    if parts.scheme == "tcp" and parts.hostname:
        return Network(parts.hostname, parts.port or 9100, timeout=TIMEOUT_SECONDS)
    if parts.scheme == "file" and parts.path:
        return File(parts.path)
    raise ValueError(f"TICKET_PRINTER must be tcp://HOST:PORT or file:/PATH, not {target!r}")


def print_ticket(target: str, t: PrintedTicket) -> bool:
    """Print `t` on the printer `target`; False (and a log line) when the printer cannot be reached
    or the extra is not installed, so the kiosk goes on with the screen."""
    try:
        printer = open_printer(target)
        try:
            printer.set(align="center", normal_textsize=True)
            printer.text(plain(t.unit) + "\n")
            printer.text("So thu tu cua ban\n")
            printer.set(align="center", bold=True, double_width=True, double_height=True)
            printer.text(t.label + "\n")
            printer.set(align="center", normal_textsize=True)
            printer.text(f"{plain(t.group)}\n{t.issued}\nSo nguoi cho truoc ban: {t.ahead}\n")
            printer.qr(t.url, native=True, size=6)      # centred by the alignment above
            printer.text(f"Ma danh gia: {t.secret}\n")
            printer.cut()
        finally:
            printer.close()
        return True
    except ImportError:
        logger.error("ticket printer %s set but python-escpos is not installed "
                     "(pip install 'motcua[escpos]')", target)
    except Exception as exc:                # a printer off or unplugged: the screen still shows it
        logger.warning("ticket %s not printed on %s: %s", t.label, target, exc)
    return False
