"""A fault-injecting TCP proxy: the bad mobile link of a commune, reproducible on loopback.

It forwards one listening port to one fixed target and, on the way, throttles both directions with a
shared token bucket, delays every chunk by a latency measured from when the chunk arrived (so latency
is pipelined like a real link's, not added per read), cuts each connection after roughly N bytes
(±25 %, drawn from a seeded RNG) and stages periods of total outage. Stdlib only (asyncio); runs in a
background thread for tests or from the command line:

    python -m motcua.chaosproxy --listen 127.0.0.1:8001 --target 127.0.0.1:8000 \\
        --rate-kbit 256 --latency-ms 300 --cut-every-bytes 262144 --outage-every-s 20 --outage-s 5
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import threading
import time
from dataclasses import dataclass, fields, replace

_READ_BYTES = 16 * 1024
_QUEUE_CHUNKS = 64          # per direction: bounds what the proxy buffers, so senders feel the link
_OUTAGE_POLL_S = 0.02


@dataclass(frozen=True)
class Faults:
    rate_kbit: float | None = None          # None: unthrottled
    latency_ms: float = 0.0                 # one way, added to every chunk
    cut_every_bytes: int | None = None      # per connection, both directions counted, ±25 %
    outage_every_s: float | None = None     # cycle length; the last `outage_s` of each is dead air
    outage_s: float = 0.0


class _TokenBucket:
    """Bytes per second with a small burst; takers may run into debt, which they then sleep off."""

    def __init__(self) -> None:
        self.tokens = 0.0
        self.stamp = time.monotonic()

    async def take(self, nbytes: int, rate_kbit: float) -> None:
        rate = rate_kbit * 1000 / 8
        burst = max(1500.0, rate / 50)          # ~20 ms of traffic, like a real modem's buffer
        now = time.monotonic()
        self.tokens = min(burst, self.tokens + (now - self.stamp) * rate) - nbytes
        self.stamp = now
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / rate)


class _Link:
    """One proxied connection: both stream pairs, its byte count and its cut budget."""

    def __init__(self, client_writer: asyncio.StreamWriter, target_writer: asyncio.StreamWriter,
                 budget: int | None):
        self.writers = (client_writer, target_writer)
        self.budget = budget
        self.forwarded = 0
        self.tasks: list[asyncio.Task] = []

    def abort(self) -> None:
        for writer in self.writers:
            writer.transport.abort()
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()


class ChaosProxy:
    """Forward `listen_host:listen_port` (0: pick a free port) to the target, applying `Faults`."""

    def __init__(self, listen_host: str, listen_port: int, target_host: str, target_port: int,
                 *, seed: int | None = None, **faults):
        self.listen_host, self.listen_port = listen_host, listen_port
        self.target = (target_host, target_port)
        self._faults = Faults(**faults)
        self._rng = random.Random(seed)
        self._stats = {"bytes_up": 0, "bytes_down": 0, "connections": 0, "cuts": 0, "refused": 0}
        self._links: set[_Link] = set()
        self._buckets = {"up": _TokenBucket(), "down": _TokenBucket()}
        self._outage_epoch = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> int:
        """Serve in a background thread; returns the bound port."""
        self._thread = threading.Thread(target=self._run, name="chaosproxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self.listen_port

    def stop(self) -> None:
        """Close the port and every proxied connection, and join the thread."""
        if self._loop is not None and self._stopping is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10)

    def set_faults(self, **changes) -> None:
        """Change faults live (e.g. `set_faults(rate_kbit=None)`); outage cycles restart now."""
        self._faults = replace(self._faults, **changes)
        if {"outage_every_s", "outage_s"} & changes.keys():
            self._outage_epoch = time.monotonic()

    def stats(self) -> dict[str, int]:
        """Bytes forwarded client→target (`bytes_up`) and back, connections, cuts, refusals."""
        return dict(self._stats, active=len(self._links))

    def is_in_outage(self) -> bool:
        faults = self._faults
        if not faults.outage_every_s or faults.outage_s <= 0:
            return False
        phase = (time.monotonic() - self._outage_epoch) % faults.outage_every_s
        return phase >= faults.outage_every_s - faults.outage_s

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:         # surfaced to start() when it happens while binding
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._accept, self.listen_host, self.listen_port)
        self.listen_port = server.sockets[0].getsockname()[1]
        watcher = asyncio.create_task(self._watch_outages())
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            watcher.cancel()
            for link in list(self._links):
                link.abort()
            await server.wait_closed()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _watch_outages(self) -> None:
        while True:
            await asyncio.sleep(_OUTAGE_POLL_S)
            if self.is_in_outage() and self._links:
                for link in list(self._links):
                    self._stats["cuts"] += 1
                    link.abort()

    async def _accept(self, client_reader: asyncio.StreamReader,
                      client_writer: asyncio.StreamWriter) -> None:
        if self.is_in_outage():
            self._stats["refused"] += 1
            client_writer.transport.abort()
            return
        try:
            target_reader, target_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._stats["refused"] += 1
            client_writer.transport.abort()
            return
        cut = self._faults.cut_every_bytes
        link = _Link(client_writer, target_writer,
                     None if not cut else max(1, round(cut * self._rng.uniform(0.75, 1.25))))
        self._stats["connections"] += 1
        self._links.add(link)
        up_q: asyncio.Queue = asyncio.Queue(_QUEUE_CHUNKS)
        down_q: asyncio.Queue = asyncio.Queue(_QUEUE_CHUNKS)
        link.tasks = [asyncio.create_task(coro) for coro in (
            self._read(client_reader, up_q), self._write(up_q, target_writer, "up", link),
            self._read(target_reader, down_q), self._write(down_q, client_writer, "down", link))]
        try:
            done, pending = await asyncio.wait(link.tasks, return_when=asyncio.FIRST_EXCEPTION)
            if pending:                      # a side failed (reset, broken pipe): drop the whole link
                link.abort()
            await asyncio.gather(*link.tasks, return_exceptions=True)
        except asyncio.CancelledError:
            # Shutting down: end quietly (a cancelled accept task would be logged as an error by
            # asyncio's stream callback).
            link.abort()
        finally:
            self._links.discard(link)
            for writer in link.writers:
                writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader, queue: asyncio.Queue) -> None:
        while True:
            data = await reader.read(_READ_BYTES)
            # Stamp on arrival: the writer releases it `latency` after this, however busy it was.
            await queue.put((time.monotonic(), data))
            if not data:
                return

    async def _write(self, queue: asyncio.Queue, writer: asyncio.StreamWriter, direction: str,
                     link: _Link) -> None:
        while True:
            arrived, data = await queue.get()
            if not data:
                if writer.can_write_eof() and not writer.transport.is_closing():
                    writer.write_eof()
                return
            faults = self._faults
            delay = arrived + faults.latency_ms / 1000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            cutting = link.budget is not None and link.forwarded + len(data) >= link.budget
            if cutting:
                data = data[:link.budget - link.forwarded]
            if faults.rate_kbit:
                await self._buckets[direction].take(len(data), faults.rate_kbit)
            writer.write(data)
            await writer.drain()
            link.forwarded += len(data)
            self._stats[f"bytes_{direction}"] += len(data)
            if cutting:
                self._stats["cuts"] += 1
                link.abort()
                return


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> None:
    """Command line: run the proxy until Ctrl-C, printing its counters every few seconds."""
    parser = argparse.ArgumentParser(prog="python -m motcua.chaosproxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True, help="HOST:PORT to accept on (PORT 0: any)")
    parser.add_argument("--target", required=True, help="HOST:PORT to forward to (and only there)")
    parser.add_argument("--rate-kbit", type=float, help="throttle each direction to this rate")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="one-way latency per chunk")
    parser.add_argument("--cut-every-bytes", type=int, help="cut a connection after ~N bytes (±25%%)")
    parser.add_argument("--outage-every-s", type=float, help="length of one outage cycle")
    parser.add_argument("--outage-s", type=float, default=0.0, help="dead air at the end of a cycle")
    parser.add_argument("--seed", type=int, help="seed for the cut-size randomness")
    args = parser.parse_args(argv)
    faults = {f.name: getattr(args, f.name) for f in fields(Faults)}
    proxy = ChaosProxy(*_host_port(args.listen), *_host_port(args.target), seed=args.seed, **faults)
    port = proxy.start()
    print(f"chaosproxy on {proxy.listen_host}:{port} -> {args.target}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(5)
            print(proxy.stats(), flush=True)
    proxy.stop()


if __name__ == "__main__":
    main()
