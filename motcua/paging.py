"""Searching and paging dossier lists, the same way on the node and at the center.

Both sides fold what was typed like the stored search text (`fold_for_search`), join digits typed
with spaces or dots (a phone number read aloud), turn +84 into 0, and page newest first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from motcua import errors as E
from motcua.errors import InvalidInput
from motcua.identity import fold_for_search

MAX_QUERY_CHARS = 200
MAX_WORDS = 8
MAX_PAGE = 1_000_000         # beyond any real list; keeps the row offset a small integer


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    has_more: bool


def check_paging(page, per_page, max_per_page: int) -> None:
    """:raises InvalidInput: a page outside 1..MAX_PAGE or a page size outside 1..max_per_page."""
    if not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise InvalidInput(E.BAD_PAGE(high=MAX_PAGE), field="page")
    if not isinstance(per_page, int) or not 1 <= per_page <= max_per_page:
        raise InvalidInput(E.BAD_PER_PAGE(high=max_per_page), field="per_page")


_CODE = re.compile(r"(?<![\w.\-/])[a-z0-9]+(?:[.\-/][a-z0-9]+)*-[a-z0-9]+(?:[.\-/][a-z0-9]+)*")


def compact_code(code: str) -> str:
    """A code without its separators, lowercased: how search holds and matches whole codes."""
    return re.sub(r"[^0-9a-z]", "", fold_for_search(code))


def search_words(q: str | None) -> list[str]:
    """The folded words of a query (at most 8). :raises InvalidInput: a query too long to be one."""
    if not q or not q.strip():
        return []
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(E.QUERY_TOO_LONG, field="q")
    folded = fold_for_search(q)
    # A dossier code typed whole ("G22.99-20260309-0001234", "07024-260309-0001") is one word, its
    # separators dropped: the search text holds each code so compacted (`compact_code`).
    folded = _CODE.sub(lambda m: compact_code(m.group(0)), folded)
    folded = re.sub(r"(?<=\d)[ .](?=\d)", "", folded)                  # 0912 345 678 → 0912345678
    folded = re.sub(r"\+?84(?=[35789]\d{8}\b)", "0", folded)          # +84 912… → 0912…
    return re.findall(r"\w+", folded)[:MAX_WORDS]


def page_of(query, page: int, per_page: int) -> Page:
    """One page of an ordered peewee query (one extra row tells whether more follow)."""
    rows = list(query.offset((page - 1) * per_page).limit(per_page + 1))
    return Page(items=rows[:per_page], page=page, per_page=per_page, has_more=len(rows) > per_page)


def status_filter(status) -> list[int] | None:
    """"4" or "4,5" → [4, 5]; empty → None. :raises InvalidInput: a code that is not a status."""
    from motcua.lifecycle import parse_status
    if status in (None, ""):
        return None
    try:
        return [int(parse_status(s)) for s in str(status).split(",")]
    except ValueError as exc:
        raise InvalidInput(exc.args[0], field="status") from None
