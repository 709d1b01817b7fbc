"""Fill a node's database with many realistic dossiers fast, for benchmarks.

The normal intake path commits (and fsyncs) once per dossier, which is right for a desk and far too
slow to make 100,000 rows. This writes the same rows and the same `dossier.received` events with
`insert_many` in large transactions; the search index is filled by the table's triggers as usual.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đào", "Giang", "Hà", "Hải", "Hằng", "Hùng", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Yến"]


def fill_node(count: int, *, unit: str = "07024", seed: int = 1, batch: int = 5000) -> None:
    """Insert `count` received dossiers (spread over the last 400 days) into the bound node db."""
    from motcua.identity import fold_for_search
    from node.models import Dossier, Event, db
    rnd = random.Random(seed)
    start = datetime.now() - timedelta(days=400)
    procedures = ["1.001193", "1.000656", "1.000894", "1.004227", "1.003583"]
    base = Dossier.select().count()
    for offset in range(0, count, batch):
        dossiers, events = [], []
        for i in range(offset, min(count, offset + batch)):
            n = base + i + 1
            name = f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
            year = rnd.randint(1950, 2005)
            idn = f"022{0 if year < 2000 else 2}{year % 100:02d}{rnd.randint(0, 999999):06d}"
            phone = f"09{rnd.randint(10000000, 99999999)}"
            received = start + timedelta(minutes=n * 5)
            uid, code = uuid.uuid4().hex, f"{unit}-{received:%y%m%d}-{n % 10000:04d}x{n}"
            applicant = {"full_name": name, "id_number": idn, "date_of_birth": f"{year}-01-01",
                         "phone": phone, "address": "Quan Lạn, Vân Đồn", "email": None}
            status = rnd.choice([2, 4, 4, 5, 9, 10, 10, 10])
            dossiers.append({
                "uid": uid, "code": code, "lookup_secret": "ABCDEF", "origin": unit,
                "procedure_code": rnd.choice(procedures), "catalogue_version": "2026.1",
                "channel": 1, "status": status, "applicant": applicant,
                "applicant_id_number": idn,
                "search_text": fold_for_search(f"{code} {name} {idn} {phone}"),
                "received_at": received, "due_at": received + timedelta(days=3),
                "supplement_count": 0, "fee_paid": False, "book_volume": f"{received:%Y}",
                "book_number": n, "received_by": "bench@" + unit,
                "updated_hlc": f"{int(received.timestamp() * 1000):015d}-00000",
                "finished_at": received + timedelta(days=2) if status >= 9 else None,
                "returned_at": received + timedelta(days=2) if status == 10 else None})
            events.append({"event_id": uuid.uuid4().hex, "kind": "dossier.received",
                           "dossier_uid": uid, "origin": unit, "actor": "bench@" + unit,
                           "hlc": f"{int(received.timestamp() * 1000):015d}-00000",
                           "payload": {"code": code, "applicant": applicant},
                           "recorded_at": received})
        with db.atomic():
            Dossier.insert_many(dossiers).execute()
            Event.insert_many(events).execute()
