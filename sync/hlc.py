"""Hybrid logical clock (Kulkarni et al.): wall-clock-like stamps that never go backwards and that
order causally related events correctly even when a point's PC clock is days wrong.

A stamp is `(wall_ms, counter)`; its text form `"WWWWWWWWWWWWWWW-CCCCC"` sorts like the tuple, so the
journal can index and compare stamps as plain strings. Pure: the caller passes the wall clock in.
"""
from __future__ import annotations

from dataclasses import dataclass

_WALL_DIGITS = 15
_COUNTER_DIGITS = 5


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


def tick(last: Stamp, now_ms: int) -> Stamp:
    """The stamp for a local event: after `last`, and at the wall clock when that is later."""
    if now_ms > last.wall_ms:
        return Stamp(now_ms, 0)
    return Stamp(last.wall_ms, last.counter + 1)


def observe(last: Stamp, remote: Stamp, now_ms: int) -> Stamp:
    """The clock after receiving `remote`: later than both, so what follows is ordered after it."""
    wall = max(last.wall_ms, remote.wall_ms, now_ms)
    if wall == last.wall_ms == remote.wall_ms:
        counter = max(last.counter, remote.counter) + 1
    elif wall == last.wall_ms:
        counter = last.counter + 1
    elif wall == remote.wall_ms:
        counter = remote.counter + 1
    else:
        counter = 0
    return Stamp(wall, counter)


def skew_ms(remote: Stamp, receiver_now_ms: int) -> int:
    """How far ahead (+) or behind (−) a sender's clock looked when its stamp arrived."""
    return remote.wall_ms - receiver_now_ms
