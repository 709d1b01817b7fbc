"""`exclusive`: no two sync rounds or USB transfers at once on one data dir, across threads and
across processes (the CLI beside `node serve`), through `filelock`."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

from node.rounds import exclusive

HOLD = """
import sys, time
from node.rounds import exclusive
with exclusive(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_process_waits_for_the_first(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), "1.0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with exclusive(tmp_path):
            waited = time.monotonic() - started
        assert waited > 0.5                         # it waited for the other process's round
    finally:
        holder.wait(10)
        holder.stdout.close()
    assert holder.returncode == 0


def test_two_threads_take_turns_and_the_lock_is_free_again_after(tmp_path):
    inside, overlaps = [], []

    def round_():
        with exclusive(tmp_path):
            if inside:
                overlaps.append(True)
            inside.append(1)
            time.sleep(0.05)
            inside.pop()
    threads = [threading.Thread(target=round_) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert overlaps == []
    with exclusive(tmp_path):                       # released after an exception too
        pass
    try:
        with exclusive(tmp_path):
            raise ValueError
    except ValueError:
        pass
    done = threading.Event()

    def take_and_leave():
        with exclusive(tmp_path):
            done.set()
    threading.Thread(target=take_and_leave).start()
    assert done.wait(5)
