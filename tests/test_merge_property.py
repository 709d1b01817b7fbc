"""Convergence: a center and several points, each with its own skewed clock, edit the same dossiers
while their events are delivered in random order, duplicated and lost (then retried). Once all is
delivered, every side holds the same state per dossier, the same conflicts, and both equal `fold`.

`MOTCUA_HYPOTHESIS_EXAMPLES` sets the number of examples (default 500; `bench/merge_bench.py
--convergence N` runs N).
"""
from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings, strategies as st

from motcua.lifecycle import next_statuses
from sync.conflict_rules import find_possible_duplicates
from sync.events import Event
from sync.hlc import ZERO, Stamp, observe, tick
from sync.merge import apply, fold

CENTER = "central"
POINTS = ("07024", "07006", "07027")
DOSSIERS = ("d0", "d1", "d2")
FIELDS = ("applicant.phone", "applicant.address", "notes")
DAY_MS = 86_400_000
START_MS = 1_767_600_000_000  # early January 2026


class Side:
    """One node or the center: its clock, its inbox, its states built only by `apply`."""

    def __init__(self, name: str, skew_ms: int):
        self.name, self.skew_ms = name, skew_ms
        self.hlc = ZERO
        self.inbox: list[Event] = []
        self.states: dict = {}
        self.arrived: list[Event] = []
        self.seen: set[str] = set()

    def take(self, e: Event, now_ms: int) -> bool:
        """Apply one event; True when it was new to this side."""
        if e.origin != self.name:
            self.hlc = observe(self.hlc, Stamp.parse(e.hlc), now_ms + self.skew_ms)
        self.states[e.dossier_id] = apply(self.states.get(e.dossier_id), e)
        self.arrived.append(e)
        new = e.id not in self.seen
        self.seen.add(e.id)
        return new


class World:
    def __init__(self, n_points: int, skews: list[int]):
        self.now = START_MS
        self.center = Side(CENTER, 0)
        self.points = [Side(p, skews[i]) for i, p in enumerate(POINTS[:n_points])]
        self.sides = [self.center] + self.points
        self.created: list[Event] = []
        self.serial = 0

    def emit(self, side: Side, kind: str, dossier: str, payload: dict) -> None:
        side.hlc = tick(side.hlc, self.now + side.skew_ms)
        self.serial += 1
        e = Event(f"{self.serial:06x}{side.name}", kind, dossier, side.name, f"u@{side.name}",
                  str(side.hlc), payload)
        self.created.append(e)
        side.take(e, self.now)
        self.route(side, e)

    def route(self, side: Side, e: Event) -> None:
        """Hub and spoke: points send to the center, the center relays to every other point."""
        if side is self.center:
            for p in self.points:
                if p.name != e.origin:
                    p.inbox.append(e)
        else:
            self.center.inbox.append(e)

    def deliver(self, side: Side, index: int, mode: int) -> None:
        """mode 0: delivered; 1: delivered and duplicated later; 2: lost, retried later."""
        if not side.inbox:
            return
        e = side.inbox[index % len(side.inbox)]
        if mode == 2:
            return
        if mode != 1:
            side.inbox.remove(e)
        if side.take(e, self.now) and side is self.center:
            self.route(side, e)

    def act(self, side: Side, op: int, a: int, b: int) -> None:
        known = sorted(d for d, s in side.states.items() if s.received is not None)
        fresh = [d for d in DOSSIERS if d not in side.states]
        if not known and side.inbox and op != 0:  # nothing to edit yet: sync first
            self.deliver(side, b, 0)
            return
        if op == 0 or not known:
            if fresh:
                d = fresh[a % len(fresh)]
                self.emit(side, "dossier.received", d, {
                    "code": f"{side.name}-{d}", "procedure_code": f"1.00{b % 2}", "status": 2,
                    "applicant": {"full_name": "Trần Thị B", "id_number": f"02209000000{a % 2}",
                                  "phone": "0912000000"},
                    "owner": None, "received_at": f"2026-01-0{1 + b % 9}T09:00:00",
                    "due_at": "2026-01-20T17:00:00", "notes": ""})
            return
        d = known[a % len(known)]
        s = side.states[d]
        if op in (1, 2):
            self.emit(side, "dossier.corrected", d, {"fields": {FIELDS[b % 3]: f"v{b}"}})
        elif op in (3, 4, 5, 6):
            options = next_statuses(s.status) if s.status else []
            if a % 7 == 0 or not options:  # occasionally a move that fits nothing: status_stale
                frm, to = 1 + b % 10, 1 + (b // 10) % 10
            else:
                frm, to = s.status, int(options[b % len(options)])
            self.emit(side, "dossier.transitioned", d, {"from": frm, "to": to, "reason": None,
                                                         "at": "2026-01-06T10:00:00",
                                                         "due_at": None, "returned_to": f"r{b}"})
        elif op == 7:
            self.emit(side, "attachment.added", d, {"sha256": f"s{b % 3}", "size": b,
                                                    "mime": "image/jpeg",
                                                    "requirement_id": f"q{a % 2}",
                                                    "filename": f"f{b}.jpg"})
        elif op == 8 and s.attachments:
            req, sha = sorted(s.attachments)[b % len(s.attachments)]
            self.emit(side, "attachment.removed", d, {"sha256": sha, "requirement_id": req})
        elif op == 9:
            self.emit(side, "dossier.rated", d, {"rating": ("rat_hai_long", "hai_long")[b % 2]})
        elif op in (10, 11) and s.open_conflicts:
            c = s.open_conflicts[b % len(s.open_conflicts)]
            decision = ("keep_a", "keep_b", "value")[a % 3]
            self.emit(side, "conflict.resolved", d, {"conflict_id": c.id, "decision": decision,
                                                     "value": 1 + b % 10})


# (op, side, a, b, dt): op 0 receives a dossier, 1-11 edit one (see `World.act`), 12-15 deliver a
# few messages to a side; dt advances the shared true time.
ops = st.lists(st.tuples(st.integers(0, 15), st.integers(0, 3), st.integers(0, 20),
                         st.integers(0, 99), st.integers(0, 3_600_000)), min_size=25, max_size=200)
skews = st.lists(st.integers(-3 * DAY_MS, 3 * DAY_MS), min_size=3, max_size=3)


def check_convergence(n_points: int, point_skews: list[int], script: list[tuple],
                      seed: int) -> dict[str, int]:
    """Run one scenario to quiescence, assert that every side agrees with `fold` of the union, and
    return counts (events, conflicts by kind) so a caller can see what was exercised."""
    world = World(n_points, point_skews)
    for op, who, a, b, dt in script:
        world.now += dt
        side = world.sides[who % len(world.sides)]
        if op >= 12:
            for k in range(1 + a % 5):
                world.deliver(side, b + k, (a + k) % 3)
        else:
            world.act(side, op, a, b)
    rng = random.Random(seed)
    while any(s.inbox for s in world.sides):  # drain: random order, some duplicated or lost again
        world.now += rng.randrange(60_000)
        side = rng.choice([s for s in world.sides if s.inbox])
        world.deliver(side, rng.randrange(len(side.inbox)), rng.choice((0, 0, 1, 2)))

    counts = {"events": len(world.created)}
    by_dossier: dict[str, list[Event]] = {}
    for e in world.created:
        by_dossier.setdefault(e.dossier_id, []).append(e)
    for d, events in by_dossier.items():
        want = fold(events)
        want_dict = want.to_dict()
        for side in world.sides:
            got = side.states[d]
            assert got.to_dict() == want_dict, (side.name, d)
            assert [c.id for c in got.conflicts] == [c.id for c in want.conflicts]
        for c in want.conflicts:
            counts[c.kind] = counts.get(c.kind, 0) + 1
            counts["resolved"] = counts.get("resolved", 0) + (not c.is_open)
    received = [[e for e in s.arrived if e.kind == "dossier.received"] for s in world.sides]
    dups = [[c.to_dict() for c in find_possible_duplicates(r, 3)] for r in received]
    assert all(x == dups[0] for x in dups)
    counts["possible_duplicate"] = len(dups[0])
    return counts


@settings(max_examples=int(os.environ.get("MOTCUA_HYPOTHESIS_EXAMPLES", "500")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(n_points=st.integers(1, 3), point_skews=skews, script=ops, seed=st.integers(0, 2**32))
def test_every_side_converges_to_fold_of_the_union(n_points, point_skews, script, seed):
    check_convergence(n_points, point_skews, script, seed)
