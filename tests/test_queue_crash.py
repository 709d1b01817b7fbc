"""SIGKILL a process issuing tickets at random moments: no number is issued twice, and none that was
confirmed (printed after the commit returned) is lost."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

ISSUER = r"""
import sys, itertools
from node.db import open_database
from node import queue
open_database(sys.argv[1])
groups = queue.groups_from(None)
print("ready", flush=True)
for i in itertools.count():
    t = queue.take_ticket("AB"[i % 2], groups)
    print("ok", t.group, t.number, flush=True)        # the confirmation the citizen sees
"""


def test_sigkill_while_issuing_never_repeats_or_loses_a_number(node_dir, tmp_path):
    from node.db import close_database, open_database
    from node.models import Ticket
    close_database()
    rnd = random.Random(17)
    confirmed: list[tuple[str, int]] = []
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", ISSUER, str(node_dir)], stdout=subprocess.PIPE,
                                text=True, env=env)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0.05, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for line in proc.stdout.read().splitlines():
            if line.startswith("ok "):
                _, group, number = line.split()
                confirmed.append((group, int(number)))
    assert len(confirmed) > 20, "the issuer hardly ran: the test proves nothing"
    open_database(node_dir)
    rows = [(t.group, t.number) for t in Ticket.select()]
    assert len(rows) == len(set(rows)), "a number was issued twice"
    assert len(confirmed) == len(set(confirmed))
    assert set(confirmed) <= set(rows), "a confirmed ticket was lost"
    for group in "AB":                      # no gap either: each number is 1…n of the day
        numbers = sorted(n for g, n in rows if g == group)
        assert numbers == list(range(1, len(numbers) + 1))
