"""`motcua demo`: a center and two island points on SQLite, one of them behind a failing link.

Each part is a real process (`motcua central serve`, `motcua node serve` ×2); Minh Châu talks to the
center through the project's chaos proxy (slow, laggy, cut every ~128 KB, 8 s outages every 40 s).
Points are enrolled automatically, get a few sample dossiers with scans, and one more arrives at
Minh Châu every 20 s, so within a minute you see records cross the bad link. Ctrl-C stops all.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import requests

from motcua import legaltime

PASSWORD = "demo-mat-khau-1"
POINTS = [("07024", "Quan Lạn", 100, False), ("07006", "Minh Châu", 101, True)]


def _say(text: str) -> None:
    """One line of progress while the demo starts (it takes a while on a small PC)."""
    click.echo(f"[{legaltime.now():%H:%M:%S}] {text}", err=True)   # the times the pages show


def _run(*args, stdin: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "motcua", *map(str, args)], input=stdin,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise click.ClickException(f"motcua {' '.join(map(str, args[:2]))}: "
                                   f"{(result.stderr or result.stdout).strip()[-500:]}")
    return result.stdout.strip()


def _serve(args: list, port: int, log: Path, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "motcua", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=open(log, "ab"),
                            env={**os.environ, **env})
    for _ in range(200):
        if proc.poll() is not None:
            raise click.ClickException(f"{args[0]} stopped: see {log}")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    raise click.ClickException(f"{args[0]} did not start: see {log}")


def _add_dossier(port: int, token: str, n: int, seed: int) -> str:
    """One dossier with a ~200 KB scan, through the node's own API (as a clerk's desk would)."""
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
    headers = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{port}/api/v1"
    body = {"procedure_code": "1.001193", "channel": 1, "applicant": {
        "full_name": names[n % len(names)], "id_number": f"0220850{seed:05d}",
        "date_of_birth": "1985-03-12", "phone": "0912345678",
        "address": "Thôn Đông, huyện Vân Đồn, Quảng Ninh"}}
    r = requests.post(f"{base}/dossiers", json=body, headers=headers, timeout=10)
    r.raise_for_status()
    code = r.json()["code"]
    scan = b"\xff\xd8\xff\xe0" + os.urandom(200 * 1024)
    requests.post(f"{base}/dossiers/{code}/attachments", headers=headers, timeout=30,
                  files={"file": ("trang1.jpg", scan)}, data={"requirement": "1.001193-d1"})
    return code


@click.command("demo")
@click.option("--port", default=8700, show_default=True, type=int,
              help="The center's port; points use port+100 and port+101, the bad link port+1.")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Keep everything in this folder (default: a temporary one, removed on exit).")
def demo_cmd(port, data_dir):
    """A center and two points (one behind a failing link), with sample dossiers.

    Example: motcua demo --port 8700
    """
    import signal

    from motcua.chaosproxy import ChaosProxy

    def _terminate(*_):                    # SIGTERM stops the demo like Ctrl-C: children too
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _terminate)
    root = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="motcua-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    proxy = None
    env = {"NODE_SYNC_INTERVAL_SECONDS": "10", "MOTCUA_SYNC_RETRY_CAP_S": "4",
           "MOTCUA_SYNC_ATTEMPTS": "6"}
    try:
        center = root / "center"
        _say(f"Khởi động demo trong {root} …")
        if not (center / "central.cfg").exists():
            _say("Tạo trung tâm (central init, tài khoản cán bộ) …")
            _run("central", "init", "--data-dir", center)
            _run("central", "user", "add", "--data-dir", center, "--username", "canbo",
                 "--role", "officer", "--full-name", "Lê Thị Hoa", stdin=PASSWORD + "\n")
        officer = _run("central", "token", "create", "--data-dir", center, "--username", "canbo")
        _say(f"Chạy trung tâm trên cổng {port} …")
        procs.append(_serve(["central", "serve", "--data-dir", center, "--port", port], port,
                            root / "center.log", env))
        proxy = ChaosProxy("127.0.0.1", port + 1, "127.0.0.1", port, seed=1)
        proxy.start()
        tokens = {}
        for unit, name, offset, bad_link in POINTS:
            folder = root / f"point-{unit}"
            url = f"http://127.0.0.1:{port + 1 if bad_link else port}"
            if not (folder / "node_keys.json").exists():
                _say(f"Tạo điểm {name} ({unit}) và ghi danh với trung tâm …")
                _run("node", "init", "--data-dir", folder, "--unit-code", unit, "--name", name)
                _run("node", "user", "add", "--data-dir", folder, "--username", "canbo",
                     "--role", "clerk", "--full-name", f"Cán bộ {name}", stdin=PASSWORD + "\n")
                token = _run("central", "enroll-token", "--data-dir", center, "--unit-code", unit,
                             "--name", name)
                _run("node", "enroll", "--data-dir", folder, "--central", url, "--token", token)
            tokens[unit] = _run("node", "token", "create", "--data-dir", folder,
                                "--username", "canbo")
            _say(f"Chạy điểm {name} trên cổng {port + offset} …")
            procs.append(_serve(["node", "serve", "--data-dir", folder, "--port", port + offset],
                                port + offset, root / f"point-{unit}.log", env))
        proxy.set_faults(rate_kbit=128, latency_ms=300, cut_every_bytes=128 * 1024,
                         outage_every_s=40, outage_s=8)
        _say("Tiếp nhận vài hồ sơ mẫu có bản quét …")
        for i, (unit, _, offset, _) in enumerate(POINTS * 2):
            _add_dossier(port + offset, tokens[unit], i, i)
        click.echo(f"\nmotcua demo in {root}\n")
        click.echo(f"  Trung tâm (center)   http://127.0.0.1:{port}/   officer: canbo / {PASSWORD}\n"
                   f"                       points: http://127.0.0.1:{port}/api/v1/nodes   "
                   f"API token: {officer}")
        for unit, name, offset, bad_link in POINTS:
            link = f"BAD LINK via the chaos proxy on :{port + 1}" if bad_link else "direct link"
            click.echo(f"  {name} ({unit})  http://127.0.0.1:{port + offset}/   clerk: canbo / "
                       f"{PASSWORD}   ({link})\n                       API token: {tokens[unit]}")
        click.echo("\nA new dossier arrives at Minh Châu every 20 s; watch it reach the center. "
                   "Ctrl-C stops everything.\n")
        n = 4
        last_add = time.monotonic()
        while True:
            time.sleep(5)
            if time.monotonic() - last_add >= 20:
                code = _add_dossier(port + 101, tokens["07006"], n, 100 + n)
                n += 1
                last_add = time.monotonic()
                click.echo(f"  + Minh Châu received {code}")
            click.echo("  " + _status_line(port, officer, proxy))
    except KeyboardInterrupt:
        click.echo("\nStopping…")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if proxy is not None:
            proxy.stop()
        if not data_dir:
            shutil.rmtree(root, ignore_errors=True)


def _status_line(port: int, officer: str, proxy) -> str:
    headers = {"Authorization": f"Bearer {officer}"}
    try:
        nodes = requests.get(f"http://127.0.0.1:{port}/api/v1/nodes", headers=headers,
                             timeout=5).json()["items"]
        parts = []
        for node in nodes:
            found = requests.get(f"http://127.0.0.1:{port}/api/v1/dossiers",
                                 params={"point": node["unit_code"], "per_page": 100},
                                 headers=headers, timeout=5).json()["items"]
            parts.append(f"{node['name']}: {len(found)} dossiers at the center, last contact "
                         f"{(node['last_contact'] or '-')[11:19]}")
        link = "OUTAGE" if proxy.is_in_outage() else "up"
        return " | ".join(parts) + f" | bad link {link}, {proxy.stats()['cuts']} cuts"
    except (requests.RequestException, ValueError, KeyError) as exc:
        return f"(center not answering: {exc})"


