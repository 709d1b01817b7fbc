"""Possible duplicates at this point: the same ID number filing the same procedure here within the
configured window (`NODE_DUPLICATE_WINDOW_DAYS`). A warning for the clerk, never a refusal: a
citizen may rightly file twice (a second child's birth, a lost receipt)."""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from motcua import legaltime
from node.models import Dossier


def recent_same(id_number: str, procedure_code: str, *, window_days: float,
                now: datetime | None = None, exclude_code: str | None = None) -> list[Dossier]:
    """Dossiers received here for `procedure_code` by `id_number` in the last `window_days`,
    newest first (none for an empty ID number)."""
    id_number = "".join((id_number or "").split())
    if not id_number or not procedure_code:
        return []
    now = now or legaltime.now()
    query = (Dossier.select()
             .where((Dossier.procedure_code == procedure_code)
                    & (Dossier.received_at >= now - timedelta(days=window_days))
                    & (fn.json_extract(Dossier.applicant, "$.id_number") == id_number))
             .order_by(Dossier.received_at.desc()).limit(10))
    return [d for d in query if d.code != exclude_code]
