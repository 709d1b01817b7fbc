"""Merge benchmark: throughput, and the cost of one in-order event against history length.

    .venv/bin/python bench/merge_bench.py                 # throughput + per-event cost
    .venv/bin/python bench/merge_bench.py --convergence 10000   # the property check, N examples
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync.events import Event  # noqa: E402
from sync.hlc import Stamp  # noqa: E402
from sync.merge import apply, fold, fold_all  # noqa: E402

ORIGINS = ("central", "07024", "07006", "07027")


def make_dossier(dossier: str, n: int, rng: random.Random, t0: int = 1_767_600_000_000) -> list[Event]:
    """A received event then n-1 edits (corrections, attachments, moves) with rising clocks."""
    def mk(i, kind, payload):
        return Event(f"{dossier}-{i:06d}", kind, dossier, rng.choice(ORIGINS), "u",
                     str(Stamp(t0 + i * 1000, 0)), payload)
    out = [mk(0, "dossier.received", {"code": dossier, "procedure_code": "1.001", "status": 2,
                                      "applicant": {"full_name": "A", "id_number": "022090000001",
                                                    "phone": "0912000000"},
                                      "received_at": "2026-01-05T09:00:00", "due_at": None})]
    status = 2
    for i in range(1, n):
        r = rng.random()
        if r < 0.6:
            out.append(mk(i, "dossier.corrected",
                          {"fields": {rng.choice(("applicant.phone", "notes")): f"v{i}"}}))
        elif r < 0.8:
            out.append(mk(i, "attachment.added", {"sha256": f"s{i % 7}", "requirement_id": "q",
                                                  "size": 1, "mime": "x", "filename": "f"}))
        elif r < 0.9:
            out.append(mk(i, "attachment.removed", {"sha256": f"s{i % 7}", "requirement_id": "q"}))
        else:
            to = {2: 4, 4: 5, 5: 4}.get(status, 4)
            out.append(mk(i, "dossier.transitioned", {"from": status, "to": to}))
            status = to if status in (2, 4, 5) else status
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_throughput(rng: random.Random) -> None:
    events = [e for d in range(2_000) for e in make_dossier(f"d{d}", 25, rng)]
    rng.shuffle(events)

    def incremental():
        states: dict = {}
        for e in events:
            states[e.dossier_id] = apply(states.get(e.dossier_id), e)

    in_order = sorted(events, key=Event.sort_key)

    def incremental_in_order():
        states: dict = {}
        for e in in_order:
            states[e.dossier_id] = apply(states.get(e.dossier_id), e)

    for label, fn in (("fold_all (shuffled input)", lambda: fold_all(events)),
                      ("apply, random arrival order", incremental),
                      ("apply, in sort order", incremental_in_order)):
        runs = [timed(fn) for _ in range(5)]
        print(f"throughput {label:30s}: {len(events) / statistics.median(runs):>10,.0f} events/s "
              f"({len(events):,} events, 2,000 dossiers, median of 5)")


def bench_one_event(rng: random.Random) -> None:
    extra = 500
    for history in (10, 1_000, 10_000):
        events = make_dossier("d", history + extra, rng)
        base = fold(events[:history])

        def chain():
            s = base
            for e in events[history:]:
                s = apply(s, e)
        per = statistics.median(timed(chain) for _ in range(5)) / extra
        late = events[history // 2]
        older = Event("late", "dossier.corrected", "d", "07024", "u", late.hlc, {"fields": {"notes": "x"}})
        refold = statistics.median(timed(lambda: apply(base, older)) for _ in range(5))
        print(f"one in-order event, history {history:>6,}: {per * 1e6:7.1f} µs   "
              f"(out-of-order event, re-fold: {refold * 1e3:8.2f} ms)")


def run_convergence(n: int) -> None:
    os.environ["MOTCUA_HYPOTHESIS_EXAMPLES"] = str(n)
    spec = importlib.util.spec_from_file_location("merge_property",
                                                  ROOT / "tests" / "test_merge_property.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    elapsed = timed(module.test_every_side_converges_to_fold_of_the_union)
    print(f"convergence: {n:,} examples passed in {elapsed:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--convergence", type=int, metavar="N",
                        help="run the convergence property check with N examples and stop")
    parser.add_argument("--seed", type=int, default=1, help="seed for the synthetic journals")
    args = parser.parse_args(argv)
    if args.convergence:
        run_convergence(args.convergence)
        return
    rng = random.Random(args.seed)
    bench_throughput(rng)
    bench_one_event(rng)


if __name__ == "__main__":
    main()
