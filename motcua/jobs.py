"""Periodic jobs on one `schedule.Scheduler`, run by one thread that sleeps until the next is due.

The thread does not poll: it waits on an event for exactly as long as the scheduler says the next
job is away, so a point's PC stays idle between jobs. `run_soon(name)` (the clerk's "sync now")
sets that event: the thread wakes at once, runs the job and counts its next interval from then.
`tick()` is one pass of the loop, for callers (and tests) that want the jobs run in their own
thread through the same code path.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import schedule

logger = logging.getLogger(__name__)


class Jobs:
    """Named jobs, each every N seconds, in one background thread; `run_soon` runs one at once."""

    def __init__(self, thread_name: str = "motcua-jobs"):
        self.thread_name = thread_name
        self.scheduler = schedule.Scheduler()
        self._jobs: dict[str, schedule.Job] = {}
        self._asked: list[str] = []
        self._lock = threading.Lock()
        self._nudge = threading.Event()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def every(self, seconds: float, name: str, fn: Callable[[], object]) -> None:
        """Run `fn()` every `seconds` (at least 1) under `name`; a job that raises is logged and
        runs again at its next time."""
        self._jobs[name] = self.scheduler.every(max(1, int(seconds))).seconds.do(
            self._run_guarded, name, fn)

    @property
    def names(self) -> list[str]:
        return list(self._jobs)

    def interval(self, name: str) -> int:
        """Seconds between two runs of job `name`. :raises KeyError: no such job."""
        return self._jobs[name].interval

    def next_run(self, name: str):
        """When job `name` runs next (a naive local datetime). :raises KeyError: no such job."""
        return self._jobs[name].next_run

    def run_soon(self, name: str) -> None:
        """Run job `name` at once in the jobs' thread (or at the next `tick()` when none runs).

        :raises KeyError: no job of that name.
        """
        if name not in self._jobs:
            raise KeyError(name)
        with self._lock:
            if name not in self._asked:
                self._asked.append(name)
        self._nudge.set()

    def tick(self) -> None:
        """Run the jobs asked for by `run_soon`, then those that are due."""
        with self._lock:
            asked, self._asked = self._asked, []
        for name in asked:
            self._jobs[name].run()          # runs now; its next run is one interval from now
        self.scheduler.run_pending()

    def seconds_to_next(self) -> float | None:
        """How long the thread will sleep before the next due job (None: no jobs)."""
        idle = self.scheduler.idle_seconds
        return None if idle is None else max(0.0, idle)

    def start(self, *, first: tuple[str, ...] = ()) -> None:
        """Start the thread (once); the jobs named in `first` run at once."""
        if self.thread is not None:
            return
        for name in first:
            self.run_soon(name)
        self.thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self.thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end after the job it runs, and wait up to `timeout` for it."""
        self._stop.set()
        self._nudge.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._nudge.clear()             # before the tick: a nudge during it is not lost
            self.tick()
            self._nudge.wait(self.seconds_to_next())

    @staticmethod
    def _run_guarded(name: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception:                   # keep the thread alive; the job logs what went wrong
            logger.exception("job %s failed", name)
