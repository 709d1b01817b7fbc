"""Legal time is Vietnam time whatever the PC's zone: the same instant gives the same wall time,
the same 15:00 rule and the same due date under TZ=UTC, Asia/Ho_Chi_Minh and America/New_York."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from motcua import legaltime

# 2026-03-06 09:00 UTC = Friday 16:00 in Vietnam
INSTANT_MS = 1_772_787_600_000

PROBE = """
import json, time
from motcua import legaltime, deadlines
time.time = lambda: {ms} / 1000
now = legaltime.now()
due = deadlines.compute_due(now, 0, deadlines.load_default_calendar())
print(json.dumps([now.isoformat(), due.isoformat(), legaltime.to_ms(now)]))
"""


def _in_zone(tz: str) -> list:
    env = {**os.environ, "TZ": tz}
    out = subprocess.run([sys.executable, "-c", PROBE.format(ms=INSTANT_MS)], env=env,
                         capture_output=True, text=True, check=True).stdout
    import json
    return json.loads(out)


def test_the_pcs_zone_never_changes_a_legal_time():
    results = {tz: _in_zone(tz) for tz in ("UTC", "Asia/Ho_Chi_Minh", "America/New_York")}
    assert len({tuple(r) for r in results.values()}) == 1, results
    now, due, ms = results["UTC"]
    assert now == "2026-03-06T16:00:00"             # the clerk's 16:00, not 09:00
    assert due == "2026-03-09T17:00:00"             # same-day after 15:00 → Monday, not Friday
    assert ms == INSTANT_MS


def test_conversions_round_trip():
    legal = legaltime.from_ms(INSTANT_MS)
    assert legal == datetime(2026, 3, 6, 16, 0)
    assert legaltime.to_ms(legal) == INSTANT_MS
    aware = datetime.fromisoformat("2026-03-06T09:00:00+00:00")
    assert legaltime.from_aware(aware) == legal
    assert abs(legaltime.to_ms(legaltime.now()) - time.time() * 1000) < 1000


def test_an_unknown_zone_is_refused_not_taken_as_utc():
    with pytest.raises(ValueError, match="Múi giờ"):
        legaltime.set_zone("Asia/Hanoi-typo")
    assert legaltime.zone().key == "Asia/Ho_Chi_Minh"


RECEIPT = """
import json, sys, time
time.time = lambda: {ms} / 1000          # Friday 6 March 2026, 16:00 in Vietnam
from node.setup import init_node
from node.db import open_database
init_node(sys.argv[1], "07024", "Quan Lạn")
open_database(sys.argv[1])
from node import clerk, reception
from tests.conftest import dossier_body
d = reception.receive_dossier(dossier_body(), "lan@07024")
book = clerk.tracking_book(d.received_at.date(), d.received_at.date())
print(json.dumps([d.code, d.received_at.isoformat(), d.due_at.isoformat(), reception.timeliness(d),
                  len(book)]))
"""


def test_a_receipt_is_the_same_whatever_the_pcs_zone(tmp_path):
    """The desk's whole receipt — code (its date), received and due times, the tracking book's day —
    comes out the same under UTC, Vietnam and New York."""
    root = str(Path(__file__).resolve().parent.parent)
    out = {}
    for tz in ("UTC", "Asia/Ho_Chi_Minh", "America/New_York"):
        env = {**os.environ, "TZ": tz, "PYTHONPATH": root}
        run = subprocess.run([sys.executable, "-c", RECEIPT.format(ms=INSTANT_MS), str(tmp_path / tz)],
                             env=env, capture_output=True, text=True, cwd=root)
        assert run.returncode == 0, run.stderr[-2000:]
        out[tz] = run.stdout.strip().splitlines()[-1]
    assert len(set(out.values())) == 1, out
    import json
    code, received, due, timeliness, booked = json.loads(out["UTC"])
    assert code.startswith("07024-260306-") and received == "2026-03-06T16:00:00"
    assert booked == 1 and timeliness == "on_track"
