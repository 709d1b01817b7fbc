"""The dossier lifecycle: the national portal's status codes and the transitions between them.

Kept as data so that a rule change is an edit here, not a hunt through views. Late is a property
computed from times (see `motcua.deadlines`), never a status.
"""
from __future__ import annotations

from enum import IntEnum

from motcua import errors as E
from motcua.deadlines import extend_for_pause


class Status(IntEnum):
    SUBMITTED_ONLINE = 1
    RECEIVED = 2
    REFUSED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    AWAITING_PAYMENT = 6
    WITHDRAWAL_REQUESTED = 7
    STOPPED = 8
    RESULT_READY = 9
    RETURNED = 10


STATUS_LABELS_VI = {
    Status.SUBMITTED_ONLINE: "Nộp trực tuyến",
    Status.RECEIVED: "Đã tiếp nhận",
    Status.REFUSED: "Từ chối tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung",
    Status.AWAITING_PAYMENT: "Chờ thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWAL_REQUESTED: "Công dân xin rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESULT_READY: "Đã có kết quả",
    Status.RETURNED: "Đã trả kết quả",
}

# The requirement key of a result file (the officer's PDF attached with "result ready"): stored and
# carried like a scan, shown apart from the papers handed in.
RESULT_REQUIREMENT = "ket-qua"

STATUS_LABELS_EN = {
    Status.SUBMITTED_ONLINE: "Submitted online",
    Status.RECEIVED: "Received",
    Status.REFUSED: "Refused",
    Status.PROCESSING: "Processing",
    Status.SUPPLEMENT_REQUESTED: "Supplement requested",
    Status.AWAITING_PAYMENT: "Awaiting payment",
    Status.WITHDRAWAL_REQUESTED: "Withdrawal requested",
    Status.STOPPED: "Stopped",
    Status.RESULT_READY: "Result ready",
    Status.RETURNED: "Returned",
}

# domain.md: 1→2|3; 2→4; 4↔5; 4↔6; 4→9→10; 2|4|5|6→7→8
ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED_ONLINE: frozenset({Status.RECEIVED, Status.REFUSED}),
    Status.RECEIVED: frozenset({Status.PROCESSING, Status.WITHDRAWAL_REQUESTED}),
    Status.REFUSED: frozenset(),
    Status.PROCESSING: frozenset({Status.SUPPLEMENT_REQUESTED, Status.AWAITING_PAYMENT,
                                  Status.RESULT_READY, Status.WITHDRAWAL_REQUESTED}),
    Status.SUPPLEMENT_REQUESTED: frozenset({Status.PROCESSING, Status.WITHDRAWAL_REQUESTED}),
    Status.AWAITING_PAYMENT: frozenset({Status.PROCESSING, Status.WITHDRAWAL_REQUESTED}),
    Status.WITHDRAWAL_REQUESTED: frozenset({Status.STOPPED}),
    Status.STOPPED: frozenset(),
    Status.RESULT_READY: frozenset({Status.RETURNED}),
    Status.RETURNED: frozenset(),
}

TERMINAL = frozenset(s for s, nxt in ALLOWED_TRANSITIONS.items() if not nxt)

# Where a dossier's life may begin. 1: not yet received (online, or a walk-in the desk guided or
# refused: the clock has not started); 2: a walk-in received complete at the desk (the clock starts).
# A walk-in refusal is a dossier recorded at 1 and moved 1→3 in the same commit, so the transitions
# stay exactly domain.md's.
ENTRY_STATUSES = frozenset({Status.SUBMITTED_ONLINE, Status.RECEIVED})
# Statuses in which the clock is stopped (domain.md: a supplement, or payment of an obligation).
PAUSES = frozenset({Status.SUPPLEMENT_REQUESTED, Status.AWAITING_PAYMENT})

# A few actions carry a name in the UI; the code is the target status.
ACTION_LABELS_VI = {
    Status.RECEIVED: "Tiếp nhận",
    Status.REFUSED: "Từ chối",
    Status.PROCESSING: "Chuyển xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung",
    Status.AWAITING_PAYMENT: "Chờ nộp phí, lệ phí",
    Status.WITHDRAWAL_REQUESTED: "Công dân rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESULT_READY: "Nhận kết quả",
    Status.RETURNED: "Trả kết quả",
}


class TransitionRefused(ValueError):
    """An illegal status change; `said` (a catalogue message) and `reason_vi` are fit to show."""

    def __init__(self, current: int, target: int, said: E.Said):
        self.said, self.reason_vi = said, said.text("vi")
        super().__init__(f"{current}->{target}: {self.reason_vi}")
        self.current, self.target = current, target


def status_phrase(status: int) -> E.Phrase:
    """A status's label in both languages, to put into a message."""
    return E.Phrase(STATUS_LABELS_VI[status], STATUS_LABELS_EN[status])


def parse_status(value) -> Status:
    """Turn an int-like value into a Status. :raises ValueError: for anything that is not a code."""
    try:
        return Status(int(value))
    except (TypeError, ValueError):
        raise ValueError(E.STATUS_CODE_BAD(value=repr(value))) from None


def is_allowed(current: int, target: int) -> bool:
    """True when the lifecycle lets a dossier go from `current` to `target`."""
    return Status(target) in ALLOWED_TRANSITIONS[Status(current)]


def check_transition(current: int, target: int) -> Status:
    """Return the target Status or raise TransitionRefused with a Vietnamese reason."""
    cur, tgt = Status(current), parse_status(target)
    if tgt in ALLOWED_TRANSITIONS[cur]:
        return tgt
    if cur == tgt:
        reason = E.ALREADY_IN_STATUS(status=status_phrase(cur))
    elif cur in TERMINAL:
        reason = E.ALREADY_FINISHED(status=status_phrase(cur))
    else:
        allowed = sorted(ALLOWED_TRANSITIONS[cur])
        allowed = E.Phrase(*(", ".join(f"\u201c{labels[s]}\u201d" for s in allowed)
                             for labels in (STATUS_LABELS_VI, STATUS_LABELS_EN)))
        reason = E.TRANSITION_REFUSED(current=status_phrase(cur), target=status_phrase(tgt),
                                      allowed=allowed)
    raise TransitionRefused(cur, tgt, reason)


MAX_REASON = 2000
REASON_REQUIRED = {Status.SUPPLEMENT_REQUESTED: E.SUPPLEMENT_REASON_REQUIRED,
                   Status.REFUSED: E.REFUSAL_REASON_REQUIRED}


def read_transition_request(to, reason=None, returned_to=None) -> tuple[Status, str | None, str | None]:
    """Check what a person asked for (target, reason, who took the result) before any state is read.

    :raises InvalidInput: a target that is not a status, a reason that is missing or not text, or a
        receiver name that is not a short text.
    """
    from motcua.errors import InvalidInput
    from motcua.identity import to_nfc, to_nfc_lines
    try:
        target = parse_status(to)
    except ValueError as exc:
        raise InvalidInput(exc.args[0], field="to") from None
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise InvalidInput(E.BAD_REASON(max=MAX_REASON), field="reason")
    reason = to_nfc_lines(reason) if reason else None     # a list of papers keeps its lines
    if target in REASON_REQUIRED and not reason:
        raise InvalidInput(REASON_REQUIRED[target], field="reason")
    if returned_to is not None and (not isinstance(returned_to, str) or len(returned_to) > 200):
        raise InvalidInput(E.BAD_RETURNED_TO, field="returned_to")
    return target, reason, to_nfc(returned_to) if returned_to else None


def next_statuses(current: int) -> list[Status]:
    """The statuses reachable in one step, in code order (what the UI offers as actions)."""
    return sorted(ALLOWED_TRANSITIONS[Status(current)])


def transition_payload(current: int, target: int, *, reason: str | None,
                       returned_to: str | None, now, due_at, paused_at, applicant_name,
                       calendar, start_clock=None) -> dict:
    """The `dossier.transitioned` payload of a move a person asked for, the same at a point and at
    the center: the lifecycle must allow it; ending a pause moves the due time on by the pause
    (`calendar()` is asked only then); receiving a dossier not yet received (1→2) starts the clock
    now: the payload carries `received_at` and the due time `start_clock(now)` gives (when given);
    a returned result names who took it (the applicant unless told). What the move does to the
    dossier (status, times, counts) is the fold's (`sync.merge`).

    :raises TransitionRefused: the lifecycle does not allow `current` → `target`.
    """
    target = check_transition(current, target)
    payload = {"from": int(current), "to": int(target), "reason": reason,
               "at": now.isoformat(), "due_at": None, "returned_to": None}
    if current == Status.SUBMITTED_ONLINE and target == Status.RECEIVED:
        payload["received_at"] = now.isoformat()
        if start_clock is not None:
            payload["due_at"] = start_clock(now).isoformat()
    if current in PAUSES and paused_at and due_at:
        # The clock stopped while the citizen was awaited (papers or payment): move the due time
        # on by that pause.
        payload["due_at"] = extend_for_pause(due_at, paused_at, now, calendar()).isoformat()
    if target == Status.RETURNED:
        payload["returned_to"] = returned_to or applicant_name
    return payload
