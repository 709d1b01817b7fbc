"""The center's exports: the dashboard's figures and the tracking book of every point (or one) as
CSV and XLSX, the same rows both ways; typed data never becomes a spreadsheet formula; a range
too long or reversed is a clear 422."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD, add_point, received, stamp, transitioned

NOW = datetime(2026, 3, 20, 12, 0)


def _load(events, source):
    from central.apply import apply_events
    from central.db import write_transaction
    with write_transaction():
        apply_events(events, source_point=source, now=NOW)


@pytest.fixture
def leader(central_app, monkeypatch):
    from central.users import add_user
    monkeypatch.setattr("motcua.legaltime.now", lambda: NOW)
    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    add_point()
    add_point("07027", "Minh Châu")
    _load([received("a1", hlc=stamp(1_772_000_000_000), code="07024-260302-0001",
                    name="=HYPERLINK(\"http://x\")", received_at="2026-03-02T09:00:00"),
           transitioned("a1", 2, 4, stamp(1_772_000_001_000)),
           transitioned("a1", 4, 9, stamp(1_772_000_002_000), at="2026-03-04T09:00:00"),
           received("a2", hlc=stamp(1_772_000_003_000), code="07024-260310-0001",
                    name="Nguyễn Văn An", received_at="2026-03-10T09:00:00")], "07024")
    _load([received("b1", origin="07027", hlc=stamp(1_772_000_004_000), code="07027-260305-0001",
                    name="Lê Thị Bình", received_at="2026-03-05T10:00:00")], "07027")
    client = central_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "lanh", "password": OFFICER_PASSWORD, "csrf_token": token})
    return client


def _xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(data))
    sheet = book[book.sheetnames[0]]
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def test_the_tracking_book_as_csv_and_xlsx(leader):
    r = leader.get("/dashboard/book.csv?from=2026-03-01&to=2026-03-31")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["STT", "Mã hồ sơ", "Mã hồ sơ chính thức"]
    assert [row[1] for row in rows[1:]] == ["07024-260302-0001", "07027-260305-0001",
                                            "07024-260310-0001"]                # by receipt
    assert rows[1][5] == "'=HYPERLINK(\"http://x\")"                              # no formula
    assert rows[1][13] == "Đã có kết quả" and rows[1][11] == "04/03/2026 09:00"
    x = leader.get("/dashboard/book.xlsx?from=2026-03-01&to=2026-03-31&point=07024")
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="so-theo-doi-2026-03-01-2026-03-31-07024.xlsx"' in x.headers["Content-Disposition"]
    cells, sheet = _xlsx(x.data)
    assert [c[1] for c in cells[1:]] == ["07024-260302-0001", "07024-260310-0001"]
    assert sheet["F2"].data_type == "s" and sheet["F2"].value.startswith("=HYPERLINK")
    assert cells[1][9] == datetime(2026, 3, 2, 9, 0)                            # a real date
    assert leader.get("/dashboard/book.csv?from=2025-01-01&to=2026-03-31").status_code == 422
    assert leader.get("/dashboard/book.xlsx?from=2026-03-31&to=2026-03-01").status_code == 422


def test_the_figures_as_xlsx_equal_the_csv(leader):
    c = leader.get("/dashboard/stats.csv?from=2026-03-01&to=2026-03-31")
    csv_rows = list(csv.reader(io.StringIO(c.get_data(as_text=True).lstrip("\ufeff"))))
    x = leader.get("/dashboard/stats.xlsx?from=2026-03-01&to=2026-03-31")
    cells, _ = _xlsx(x.data)

    def same(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return "" if v is None else str(v)
    assert [[same(v) for v in row] for row in cells] == [[same(v) for v in row] for row in csv_rows]
    assert ["intake", "total", 3] == cells[1][:3]
    page = leader.get("/dashboard/?from=2026-03-01").get_data(as_text=True)
    assert 'id="xlsx"' in page and 'id="book-xlsx"' in page
