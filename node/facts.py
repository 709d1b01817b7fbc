"""Small facts about this node kept in the `state` table: who it is and its counters."""
from __future__ import annotations

from node.models import State


def get_state(key: str, default: str | None = None) -> str | None:
    row = State.get_or_none(State.key == key)
    return default if row is None else row.value


def set_state(key: str, value: str) -> None:
    State.insert(key=key, value=str(value)).on_conflict_replace().execute()


def next_counter(name: str) -> int:
    """Increment and return a named counter; call inside an IMMEDIATE transaction (no gaps, no repeats)."""
    value = int(get_state(f"counter:{name}", "0")) + 1
    set_state(f"counter:{name}", str(value))
    return value


def unit_code() -> str:
    """This point's unit code. :raises RuntimeError: when the node was never initialised."""
    code = get_state("unit_code")
    if not code:
        raise RuntimeError("node not initialised: run `motcua node init`")
    return code


def unit_name() -> str:
    return get_state("unit_name", "") or ""
