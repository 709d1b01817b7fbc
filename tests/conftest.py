"""Shared fixtures: a fresh node on a real SQLite file per test, a clerk with an API token."""
from __future__ import annotations

import io
import struct
import zlib

import pytest

CLERK_PASSWORD = "mat-khau-dai-1"


@pytest.fixture
def node_dir(tmp_path):
    from node.db import close_database
    from node.setup import init_node
    init_node(tmp_path / "node", "07024", "Quan Lạn")
    yield tmp_path / "node"
    close_database()


@pytest.fixture
def app(node_dir):
    from motcua.apps import create_node_app
    from node.users import add_user
    application = create_node_app({"DATA_DIR": str(node_dir), "TESTING": True,
                                    "MAX_UPLOAD_BYTES": 2 * 1024 * 1024})
    add_user("lan", CLERK_PASSWORD, "clerk", "Trần Thị Lan")
    add_user("quan", CLERK_PASSWORD, "admin", "Phạm Văn Quân")
    return application


@pytest.fixture
def token(app):
    from node.users import create_token
    return create_token("lan")


@pytest.fixture
def api(app, token):
    """A test client that sends the clerk's bearer token."""
    client = app.test_client()

    class Api:
        def __getattr__(self, method):
            def call(url, **kwargs):
                headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
                return getattr(client, method)(url, headers=headers, **kwargs)
            return call
    return Api()


def applicant(**overrides):
    base = {"full_name": "Nguyễn Văn An", "id_number": "022085001234",
            "date_of_birth": "1985-03-12", "phone": "0912345678",
            "address": "Thôn Đông, xã Quan Lạn, Vân Đồn, Quảng Ninh"}
    base.update(overrides)
    return base


def dossier_body(**overrides):
    body = {"procedure_code": "1.001193", "applicant": applicant(), "channel": 1}
    body.update(overrides)
    return body


def png_bytes(size: int = 2000, seed: int = 0) -> bytes:
    """A real PNG of roughly `size` bytes (uncompressible noise rows), made without Pillow."""
    import random
    rnd = random.Random(seed)
    width = 64
    rows = max(1, size // (width * 3))
    raw = b"".join(b"\x00" + bytes(rnd.getrandbits(8) for _ in range(width * 3)) for _ in range(rows))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, rows, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))


def pdf_bytes(text: str = "scan") -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n% " + text.encode()
            + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def upload(api, code, data, requirement="1.001193-d1", filename="scan.png"):
    return api.post(f"/api/v1/dossiers/{code}/attachments",
                    data={"file": (io.BytesIO(data), filename), "requirement": requirement},
                    content_type="multipart/form-data")
