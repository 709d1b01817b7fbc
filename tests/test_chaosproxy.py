"""motcua.chaosproxy over real 127.0.0.1 sockets: forwarding, cuts, throttle, latency, outages, CLI."""
import contextlib
import os
import random
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time

import pytest

from motcua.chaosproxy import ChaosProxy

MB = 1024 * 1024


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):   # cut connections are the point here
        pass


@contextlib.contextmanager
def serve(handler_fn, **state):
    """A threaded TCP server on 127.0.0.1 whose handler is `handler_fn(sock, state)`."""
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            with contextlib.suppress(OSError):
                handler_fn(self.request, state)
    server = _Server(("127.0.0.1", 0), Handler)
    state["lock"] = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1], state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def proxied(target_port, **faults):
    proxy = ChaosProxy("127.0.0.1", 0, "127.0.0.1", target_port, **faults)
    port = proxy.start()
    try:
        yield proxy, port
    finally:
        proxy.stop()


def echo(sock, state):
    while data := sock.recv(65536):
        sock.sendall(data)


def recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(65536, n - len(buf)))
        if not chunk:
            raise ConnectionError("closed early")
        buf += chunk
    return bytes(buf)


def test_forwards_both_ways_and_counts_bytes():
    payload = random.Random(1).randbytes(200_000)
    with serve(echo) as (port, _), proxied(port) as (proxy, pport):
        with socket.create_connection(("127.0.0.1", pport)) as sock:
            sock.sendall(payload)
            assert recv_exactly(sock, len(payload)) == payload
        time.sleep(0.05)
        stats = proxy.stats()
    assert stats["bytes_up"] == stats["bytes_down"] == len(payload)
    assert stats["connections"] == 1 and stats["cuts"] == 0


def resumable_sink(sock, state):
    """Tiny resumable upload: tell the client our length, store what it sends at that offset."""
    with state["lock"]:
        pos = len(state["data"])
    sock.sendall(struct.pack(">Q", pos))
    got = 0
    while chunk := sock.recv(65536):
        with state["lock"]:
            data = state["data"]
            if pos <= len(data):
                data[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
            got += len(chunk)
    with state["lock"]:
        state["per_connection"].append(got)
        done = len(state["data"])
    sock.sendall(struct.pack(">Q", done))


def test_cut_every_64k_and_upload_still_completes_by_resuming():
    payload = random.Random(2).randbytes(MB)
    cuts_seen = attempts = 0
    with serve(resumable_sink, data=bytearray(), per_connection=[]) as (port, state), \
            proxied(port, cut_every_bytes=64 * 1024, seed=5) as (proxy, pport):
        while attempts < 100:
            attempts += 1
            try:
                with socket.create_connection(("127.0.0.1", pport), timeout=5) as sock:
                    (offset,) = struct.unpack(">Q", recv_exactly(sock, 8))
                    if offset == len(payload):
                        break
                    sock.sendall(payload[offset:])
                    sock.shutdown(socket.SHUT_WR)
                    recv_exactly(sock, 8)
            except OSError:                     # ConnectionError included: the link was cut
                cuts_seen += 1
        time.sleep(0.05)
        stats = proxy.stats()
        received, per_connection = bytes(state["data"]), state["per_connection"]
    assert received == payload
    assert cuts_seen >= 10 and stats["cuts"] >= 10
    assert attempts >= MB // int(64 * 1024 * 1.25)
    assert max(per_connection) <= 64 * 1024 * 1.25 and sum(per_connection) >= MB


def counting_sink(sock, state):
    total = 0
    while chunk := sock.recv(65536):
        total += len(chunk)
    state["done_at"] = time.monotonic()
    sock.sendall(struct.pack(">Q", total))


def test_throttle_limits_upload_and_can_be_lifted_live():
    size, rate_kbit = 300_000, 2000                     # 250 kB/s: at least 1.2 s
    with serve(counting_sink) as (port, state), proxied(port, rate_kbit=rate_kbit) as (proxy, pport):
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", pport)) as sock:
            sock.sendall(b"\x00" * size)
            sock.shutdown(socket.SHUT_WR)
            assert struct.unpack(">Q", recv_exactly(sock, 8))[0] == size
        elapsed = state["done_at"] - start
        assert size / (rate_kbit * 125) * 0.95 <= elapsed < 3.0
        proxy.set_faults(rate_kbit=None)
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", pport)) as sock:
            sock.sendall(b"\x00" * size)
            sock.shutdown(socket.SHUT_WR)
            recv_exactly(sock, 8)
        assert time.monotonic() - start < 0.5
        assert proxy.stats()["bytes_up"] == 2 * size


def test_throttle_limits_download():
    size = 300_000

    def source(sock, state):
        sock.sendall(b"\x01" * size)

    with serve(source) as (port, _), proxied(port, rate_kbit=2000) as (_, pport):
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", pport)) as sock:
            recv_exactly(sock, size)
        assert time.monotonic() - start >= size / 250_000 * 0.95


def test_latency_is_pipelined_not_per_read():
    with serve(echo) as (port, _), proxied(port, latency_ms=150) as (_, pport):
        with socket.create_connection(("127.0.0.1", pport)) as sock:
            start = time.monotonic()
            sock.sendall(b"ping")
            recv_exactly(sock, 4)
            assert time.monotonic() - start >= 0.3          # 150 ms each way
            start = time.monotonic()
            for _ in range(10):                             # ten separate chunks in flight at once
                sock.sendall(b"ping")
                time.sleep(0.02)
            recv_exactly(sock, 40)
            elapsed = time.monotonic() - start
        # per-read latency would need 10 x 150 ms in one direction alone
        assert 0.3 <= elapsed < 0.9


def test_outage_cuts_open_connections_and_refuses_new_ones():
    with serve(echo) as (port, _), proxied(port, outage_every_s=0.6, outage_s=0.3) as (proxy, pport):
        early = socket.create_connection(("127.0.0.1", pport), timeout=1)
        early.sendall(b"hi")
        assert recv_exactly(early, 2) == b"hi"
        outcomes = []
        deadline = time.monotonic() + 1.2
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", pport), timeout=0.3) as sock:
                    sock.sendall(b"x")
                    outcomes.append(recv_exactly(sock, 1) == b"x")
            except OSError:
                outcomes.append(False)
            time.sleep(0.03)
        with pytest.raises(OSError):            # the outage at 0.3 s killed the early connection
            early.sendall(b"again")
            recv_exactly(early, 5)
        early.close()
        stats = proxy.stats()
    assert any(outcomes) and not all(outcomes)
    assert stats["refused"] >= 1 and stats["cuts"] >= 1


def test_command_line_runs_and_stops_on_interrupt():
    with serve(echo) as (port, _):
        proc = subprocess.Popen(
            [sys.executable, "-m", "motcua.chaosproxy", "--listen", "127.0.0.1:0",
             "--target", f"127.0.0.1:{port}", "--latency-ms", "10", "--seed", "3"],
            stdout=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
        try:
            line = proc.stdout.readline()
            pport = int(line.split()[2].rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", pport), timeout=2) as sock:
                sock.sendall(b"via cli")
                assert recv_exactly(sock, 7) == b"via cli"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
