"""The public lookup address: Form 01's QR and printed link use the center's lookup when the point
has one configured (`motcua node init/config`), else the point's public address, else the address
the desk was opened at; the center serves the same lookup (code + secret) once the dossier synced."""
from __future__ import annotations

import html as htmllib
import re
import subprocess
from datetime import datetime

from central_fixtures import (  # noqa: F401 - fixtures
    add_point,
    backend,
    central_app,
    pg_cluster,
    received,
    stamp,
    transitioned,
)

from tests.conftest import dossier_body
from tests.procs import motcua
from tests.test_webui import clerk, client  # noqa: F401 - fixtures


def _printed_link(clerk, code) -> str:
    page = clerk.get(f"/dossiers/{code}/form/01").text
    return htmllib.unescape(re.search(r'class="link-text">([^<]+)<', page).group(1))


def test_form01_points_to_the_center_lookup_else_the_point_else_the_desk(clerk, api):
    from node.setup import set_public_addresses
    body = api.post("/api/v1/dossiers", json=dossier_body()).get_json()
    code, secret = body["code"], body["lookup_secret"]
    assert _printed_link(clerk, code) == f"http://localhost/lookup?code={code}&s={secret}"
    set_public_addresses(public_url="https://quanlan.example.vn/")
    assert _printed_link(clerk, code) == f"https://quanlan.example.vn/lookup?code={code}&s={secret}"
    set_public_addresses(center_lookup_url="https://motcua.quangninh.example.vn")
    assert _printed_link(clerk, code) == (f"https://motcua.quangninh.example.vn/lookup?code={code}"
                                          f"&s={secret}")
    set_public_addresses(center_lookup_url="")
    assert _printed_link(clerk, code).startswith("https://quanlan.example.vn/lookup?")


def test_node_init_and_config_set_show_and_clear_the_addresses(tmp_path):
    folder = tmp_path / "node"
    out = motcua("node", "init", "--data-dir", folder, "--unit-code", "07024", "--name", "Quan Lạn",
                 "--public-url", "https://quanlan.example.vn")
    assert "https://quanlan.example.vn/lookup" in out
    out = motcua("node", "config", "--data-dir", folder, "--center-lookup-url",
                 "https://motcua.example.vn/")
    assert "Mã QR trên giấy tiếp nhận trỏ tới: https://motcua.example.vn/lookup" in out
    assert "https://quanlan.example.vn" in out
    out = motcua("node", "config", "--data-dir", folder, "--clear", "center-lookup-url")
    assert "trỏ tới: https://quanlan.example.vn/lookup" in out and "trung tâm: chưa đặt" in out
    bad = subprocess.run(["python", "-m", "motcua", "node", "config", "--data-dir", str(folder),
                          "--public-url", "quanlan.example.vn"], capture_output=True, text=True)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "http" in bad.stderr
    assert "trỏ tới: https://quanlan.example.vn/lookup" in motcua("node", "config", "--data-dir", folder)


def test_the_center_serves_the_same_lookup_once_synced(central_app):
    from central.apply import apply_events
    from central.db import write_transaction
    add_point()
    with write_transaction():
        apply_events([received("d1", hlc=stamp(1_772_000_000_000), code="07024-260302-0001"),
                      transitioned("d1", 2, 4, stamp(1_772_000_001_000)),
                      transitioned("d1", 4, 5, stamp(1_772_000_002_000), reason="Bản sao giấy chứng sinh")],
                     source_point="07024", now=datetime(2026, 3, 5, 12, 0))
    web = central_app.test_client()
    good = web.get("/lookup?code=07024-260302-0001&s=abc123")
    assert good.status_code == 200 and 'id="lookup-result"' in good.text
    assert "Đăng ký khai sinh" in good.text and "Bản sao giấy chứng sinh" in good.text
    wrong = web.get("/lookup?code=07024-260302-0001&s=ZZZ999")
    unknown = web.get("/lookup?code=07024-260302-0009&s=ABC123")
    said = re.compile(r'id="lookup-error">([^<]+)<')
    assert wrong.status_code == unknown.status_code == 404
    assert said.search(wrong.text).group(1) == said.search(unknown.text).group(1)
    assert "ABC123" not in good.text                                  # the secret is not shown
    form = web.get("/lookup")
    assert form.status_code == 200 and 'name="s"' in form.text
    assert "Hồ sơ hiện ở đây sau khi điểm tiếp nhận" in form.text and 'href="/lookup">' in good.text
    for _ in range(6):                                                # guessing slows down
        last = web.get("/lookup?code=07024-260302-0001&s=QQQ111")
    assert last.status_code == 429
