"""Finding dossiers: one box for code, name without accents, ID number or phone, plus filters.

The query is folded like the stored search text (`fold_for_search`), so "nguyen van a" finds
"Nguyễn Văn A", and each word becomes a prefix term of the FTS5 index. Digits typed with spaces or
a +84 prefix are joined first, so a phone number matches however it was typed.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from peewee import SQL

from motcua.paging import Page, check_paging, page_of, search_words, status_filter
from node.models import Dossier

MAX_PER_PAGE = 100


def _fts_query(words: list[str]) -> str | None:
    """Every word as a prefix term of the FTS5 index (all must match)."""
    return " ".join(f'"{w}"*' for w in words) or None


def search_dossiers(q: str | None = None, *, status=None, received_from: date | None = None,
                    received_to: date | None = None, page: int = 1,
                    per_page: int = 20) -> Page:
    """Dossiers matching every word of `q` (accent-insensitive) and the filters, newest first.

    :raises InvalidInput: bad status, dates, query or paging.
    """
    check_paging(page, per_page, MAX_PER_PAGE)
    query = Dossier.select()
    match = _fts_query(search_words(q))
    if match:
        query = query.where(Dossier.id.in_(
            SQL("(SELECT rowid FROM dossier_fts WHERE dossier_fts MATCH ?)", [match])))
    statuses = status_filter(status)
    if statuses:
        query = query.where(Dossier.status.in_(statuses))
    if received_from:
        query = query.where(Dossier.received_at >= datetime.combine(received_from, datetime.min.time()))
    if received_to:
        query = query.where(Dossier.received_at < datetime.combine(received_to + timedelta(days=1),
                                                                   datetime.min.time()))
    return page_of(query.order_by(Dossier.id.desc()), page, per_page)
