"""Spreadsheets the center hands out: the same rows as CSV (UTF-8 with a BOM, so a spreadsheet
reads the Vietnamese) or as XLSX (openpyxl, imported only when asked for). Typed data never becomes
a formula: a CSV cell starting with = + - @ is quoted, an XLSX cell is written as text."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from flask import Response

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = tuple("=+-@")


def _csv_cell(value) -> str:
    text = value.strftime("%d/%m/%Y %H:%M") if isinstance(value, datetime) else (
        "" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_START) and not _number(text) else text


def _number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


def csv_response(rows: list[list], name: str) -> Response:
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows([[_csv_cell(v) for v in row] for row in rows])
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe_name(name)}.csv"'})


def xlsx_bytes(sheets: list[tuple[str, list[list]]]) -> bytes:
    """A workbook with one sheet per (title, rows); dates as dates, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, datetime):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(value, date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "dd/mm/yyyy"
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                    if isinstance(value, str):
                        cell.data_type = "s"          # text, never a formula
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(sheets: list[tuple[str, list[list]]], name: str) -> Response:
    return Response(xlsx_bytes(sheets), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": f'attachment; filename="{safe_name(name)}.xlsx"'})


def safe_name(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z.-]", "", name) or "export"
