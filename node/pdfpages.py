"""Pages from the scanner's document feeder joined into ONE PDF (one paper, one file), in pure
Python: each PNG's compressed image data goes into the PDF as it is (FlateDecode with the PNG
predictor), so nothing is decoded or recompressed and no imaging library is needed.

Takes what `scanimage --format=png` writes: non-interlaced greyscale or RGB, 1, 8 or 16 bits.
"""
from __future__ import annotations

import struct
import zlib

from motcua import errors as E
from motcua.errors import InvalidInput

_PNG = b"\x89PNG\r\n\x1a\n"
_COLOURS = {0: (1, "/DeviceGray"), 2: (3, "/DeviceRGB")}


def _png_parts(data: bytes) -> tuple[int, int, int, int, bytes]:
    """(width, height, bit depth, colour type, joined IDAT data) of a PNG.
    :raises InvalidInput: not a PNG this module can carry."""
    if not data.startswith(_PNG):
        raise InvalidInput(E.UNSUPPORTED_FILE_TYPE, field="file")
    pos, header, idat = len(_PNG), None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        raise InvalidInput(E.UNSUPPORTED_FILE_TYPE, field="file")
    width, height, depth, colour, _compression, _filter, interlace = header
    if colour not in _COLOURS or depth not in (1, 8, 16) or interlace or (colour == 2 and depth == 1):
        raise InvalidInput(E.UNSUPPORTED_FILE_TYPE, field="file")
    return width, height, depth, colour, b"".join(idat)


def pngs_to_pdf(pages: list[bytes], *, dpi: int = 150) -> bytes:
    """One PDF with one page per PNG, each page the size of the paper scanned at `dpi`."""
    if not pages:
        raise InvalidInput(E.SCAN_FILE_MISSING, field="file")
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)                      # PDF object numbers start at 1

    catalog, tree = add(b""), add(b"")           # filled in once the pages are known
    kids = []
    for data in pages:
        width, height, depth, colour, idat = _png_parts(data)
        colours, space = _COLOURS[colour]
        image = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                    b"/BitsPerComponent %d /Filter /FlateDecode /DecodeParms << /Predictor 15 "
                    b"/Colors %d /BitsPerComponent %d /Columns %d >> /Length %d >>\nstream\n"
                    % (width, height, space.encode(), depth, colours, depth, width, len(idat))
                    + idat + b"\nendstream")
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (w_pt, h_pt)
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(zlib.compress(draw))
                      + zlib.compress(draw) + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] "
                        b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                        % (tree, w_pt, h_pt, image, content)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = (b"<< /Type /Pages /Kids [%s] /Count %d >>"
                         % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, xref)
    return bytes(out)
