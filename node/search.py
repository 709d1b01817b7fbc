"""Finding dossiers: one box for code, name without accents, ID number or phone, plus filters.

The query is folded like the stored search text (`fold_for_search`), so "nguyen van a" finds
"Nguyễn Văn A", and each word becomes a prefix term of the FTS5 index. Digits typed with spaces or
a +84 prefix are joined first, so a phone number matches however it was typed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import SQL

from motcua.errors import InvalidInput
from motcua.identity import fold_for_search
from motcua.lifecycle import parse_status
from node.models import Dossier

MAX_PER_PAGE = 100


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    has_more: bool


def _fts_query(text: str) -> str | None:
    folded = fold_for_search(text)
    folded = re.sub(r"(?<=\d)[ .](?=\d)", "", folded)                  # 0912 345 678 → 0912345678
    folded = re.sub(r"\+?84(?=[35789]\d{8}\b)", "0", folded)          # +84 912… → 0912…
    words = re.findall(r"\w+", folded)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words[:8])


def search_dossiers(q: str | None = None, *, status=None, received_from: date | None = None,
                    received_to: date | None = None, page: int = 1,
                    per_page: int = 20) -> Page:
    """Dossiers matching every word of `q` (accent-insensitive) and the filters, newest first.

    :raises InvalidInput: bad status, dates or paging.
    """
    if not isinstance(page, int) or page < 1:
        raise InvalidInput("Số trang phải là số nguyên dương.", field="page")
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"Số dòng mỗi trang từ 1 đến {MAX_PER_PAGE}.", field="per_page")
    query = Dossier.select()
    if q and q.strip():
        if len(q) > 200:
            raise InvalidInput("Từ khoá tìm kiếm quá dài.", field="q")
        match = _fts_query(q)
        if match:
            query = query.where(Dossier.id.in_(
                SQL("(SELECT rowid FROM dossier_fts WHERE dossier_fts MATCH ?)", [match])))
    if status not in (None, ""):
        try:
            statuses = [int(parse_status(s)) for s in str(status).split(",")]
        except ValueError as exc:
            raise InvalidInput(str(exc), field="status") from None
        query = query.where(Dossier.status.in_(statuses))
    if received_from:
        query = query.where(Dossier.received_at >= datetime.combine(received_from, datetime.min.time()))
    if received_to:
        query = query.where(Dossier.received_at < datetime.combine(received_to + timedelta(days=1),
                                                                   datetime.min.time()))
    rows = list(query.order_by(Dossier.id.desc()).offset((page - 1) * per_page).limit(per_page + 1))
    return Page(items=rows[:per_page], page=page, per_page=per_page, has_more=len(rows) > per_page)
