"""Hybrid logical clock (Kulkarni et al.): wall-clock-like stamps that never go backwards and that
order causally related events correctly even when a point's PC clock is days wrong.

A stamp is `(wall_ms, counter)`; its text form `"WWWWWWWWWWWWWWW-CCCCC"` sorts like the tuple, so the
journal can index and compare stamps as plain strings. Pure: the caller passes the wall clock in.
"""
from __future__ import annotations

from dataclasses import dataclass

_WALL_DIGITS = 15
_COUNTER_DIGITS = 5
MAX_COUNTER = 10 ** _COUNTER_DIGITS - 1
MAX_WALL_MS = 10 ** _WALL_DIGITS - 1
# How far ahead of a receiver's wall clock a sender's stamp may be and still be followed. Beyond it
# the stamp still orders its own dossier's events, but never moves the receiver's clock.
MAX_AHEAD_MS = 60 * 60 * 1000


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int = 0

    def __str__(self) -> str:
        return f"{self.wall_ms:0{_WALL_DIGITS}d}-{self.counter:0{_COUNTER_DIGITS}d}"

    @classmethod
    def parse(cls, text: str) -> "Stamp":
        """Read a stamp's text form. :raises ValueError: when it is not one."""
        wall, sep, counter = str(text).partition("-")
        if not sep or len(wall) != _WALL_DIGITS or len(counter) != _COUNTER_DIGITS \
                or not wall.isdigit() or not counter.isdigit():
            raise ValueError(f"not an HLC stamp: {text!r}")
        return cls(int(wall), int(counter))


ZERO = Stamp(0, 0)


def _carried(wall_ms: int, counter: int) -> Stamp:
    """A stamp whose counter never overflows its digits: a full counter moves the wall on by 1 ms
    (still after every stamp before it, so the order holds)."""
    if counter > MAX_COUNTER:
        if wall_ms >= MAX_WALL_MS:        # year 33658: stay put rather than fail
            return Stamp(MAX_WALL_MS, MAX_COUNTER)
        wall_ms, counter = wall_ms + 1, 0
    return Stamp(min(wall_ms, MAX_WALL_MS), counter)


def tick(last: Stamp, now_ms: int) -> Stamp:
    """The stamp for a local event: after `last`, and at the wall clock when that is later."""
    if now_ms > last.wall_ms:
        return Stamp(min(now_ms, MAX_WALL_MS), 0)
    return _carried(last.wall_ms, last.counter + 1)


def is_too_far_ahead(remote: Stamp, now_ms: int, max_ahead_ms: int | None) -> bool:
    """True when `remote` is further ahead of the receiver's wall clock than it will follow."""
    return max_ahead_ms is not None and remote.wall_ms > now_ms + max_ahead_ms


def observe(last: Stamp, remote: Stamp, now_ms: int, max_ahead_ms: int | None = None) -> Stamp:
    """The clock after receiving `remote`: later than both, so what follows is ordered after it.

    A remote stamp more than `max_ahead_ms` ahead of `now_ms` is not followed (a sender with a
    wrong or hostile clock must not drag this one years ahead): the clock just ticks.
    """
    if is_too_far_ahead(remote, now_ms, max_ahead_ms):
        return tick(last, now_ms)
    wall = max(last.wall_ms, remote.wall_ms, now_ms)
    if wall == last.wall_ms == remote.wall_ms:
        counter = max(last.counter, remote.counter) + 1
    elif wall == last.wall_ms:
        counter = last.counter + 1
    elif wall == remote.wall_ms:
        counter = remote.counter + 1
    else:
        counter = 0
    return _carried(wall, counter)


def stamp_after(last: Stamp, after: Stamp, now_ms: int,
                max_ahead_ms: int | None) -> tuple[Stamp, Stamp]:
    """(stamp for a new event that must sort after `after`, the receiver's clock afterwards).

    Normally both are `observe(last, after, now_ms)`. When `after` is too far ahead, the event still
    sorts after it (causality within that one dossier holds), but the clock only ticks, so events
    on every other dossier keep true time.
    """
    clock = observe(last, after, now_ms, max_ahead_ms)
    if not is_too_far_ahead(after, now_ms, max_ahead_ms):
        return clock, clock
    return _carried(after.wall_ms, after.counter + 1), clock


def skew_ms(remote: Stamp, receiver_now_ms: int) -> int:
    """How far ahead (+) or behind (−) a sender's clock looked when its stamp arrived."""
    return remote.wall_ms - receiver_now_ms
