"""Every allowed and every refused status transition, in the lifecycle table and through the node."""
from __future__ import annotations

import itertools

import pytest

from motcua.errors import Conflict
from motcua.lifecycle import Status, TransitionRefused, check_transition, is_allowed

# domain.md: 1→2|3; 2→4; 4↔5; 4↔6; 4→9→10; 2|4|5|6→7→8 — written out by hand, not from the table.
EXPECTED = {(1, 2), (1, 3), (2, 4), (4, 5), (5, 4), (4, 6), (6, 4), (4, 9), (9, 10),
            (2, 7), (4, 7), (5, 7), (6, 7), (7, 8)}
ALL_PAIRS = list(itertools.product(range(1, 11), repeat=2))


@pytest.mark.parametrize("current,target", ALL_PAIRS)
def test_table_matches_domain(current, target):
    assert is_allowed(current, target) == ((current, target) in EXPECTED)
    if (current, target) in EXPECTED:
        assert check_transition(current, target) == Status(target)
    else:
        with pytest.raises(TransitionRefused) as info:
            check_transition(current, target)
        assert "Không thể" in info.value.reason_vi or "đã" in info.value.reason_vi


# A path to each status, through allowed steps only: from "submitted" (1, an online dossier) for 1
# and 3, from "received" (2, a walk-in received complete) for the others.
PATHS = {1: [], 3: [3], 2: [], 4: [4], 5: [4, 5], 6: [4, 6], 7: [7], 8: [7, 8], 9: [4, 9],
         10: [4, 9, 10]}


@pytest.mark.parametrize("start", sorted(PATHS))
def test_node_enforces_every_transition_from(start, app):
    from node import reception
    from node.models import Event
    from tests.conftest import dossier_body
    for target in range(1, 11):
        d = reception.receive_dossier(dossier_body(channel=2 if start in (1, 3) else 1),
                                      "lan@07024")
        assert d.status == (1 if start in (1, 3) else 2)
        for step in PATHS[start]:
            reception.transition(d.code, step, "lan@07024", reason="lý do")
        if (start, target) in EXPECTED:
            after = reception.transition(d.code, target, "lan@07024", reason="lý do")
            assert after.status == target
        else:
            events_before = Event.select().count()
            with pytest.raises(Conflict):
                reception.transition(d.code, target, "lan@07024", reason="lý do")
            assert reception.get_dossier(d.code).status == start
            assert Event.select().count() == events_before
