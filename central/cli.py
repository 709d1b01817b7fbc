"""`motcua central …`: what a technician types to set up and run the center.

Each command parses, calls one domain function and echoes the result; bad input exits non-zero with
a one-line reason.
"""
from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import click

from motcua import legaltime
from motcua.clikit import (
    add_account_commands,
    data_dir_option,
    fail_on_domain_error,
    report_checks,
    whole_app,
)
from motcua.inputs import UNIT_CODE

DATA_DIR = data_dir_option("center")


def _open(data_dir: str, *, whole: bool = False):
    """The center app for `data_dir` (opens and migrates its database); `whole` adds the pages."""
    from central import CONFIG_FILENAME, create_app
    if not (Path(data_dir) / CONFIG_FILENAME).exists():
        raise click.ClickException(f"{data_dir} chưa phải là trung tâm: chạy `motcua central init` trước.")
    config = {"DATA_DIR": data_dir}
    return whole_app("central", config) if whole else create_app(config)


def parse_ttl(text: str) -> timedelta:
    """"30m", "24h", "7d" → a timedelta. :raises click.BadParameter: anything else."""
    m = re.fullmatch(r"\s*(\d{1,5})\s*([mhd])\s*", text or "")
    if not m:
        raise click.BadParameter("dùng dạng 30m, 24h hoặc 7d", param_hint="--ttl")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})


@click.group("central")
def central_group():
    """The center (Trung tâm Phục vụ hành chính công) that points report to."""


@central_group.command("init")
@DATA_DIR
@click.option("--database-url", default=None,
              help="postgresql://user@host:port/db for a shared PostgreSQL (default: SQLite in D).")
@click.option("--new-keys", is_flag=True,
              help="central_keys.json is lost and no backup holds it: make new keys (every point "
                   "must enroll again).")
@fail_on_domain_error
def init_cmd(data_dir, database_url, new_keys):
    """Create the center's folder, database and keys (or upgrade an existing one).

    Example: motcua central init --data-dir /var/lib/motcua-central --database-url postgresql://motcua@127.0.0.1/motcua
    Example: motcua central init --data-dir /var/lib/motcua-central --new-keys
    """
    from central import CONFIG_FILENAME
    from central.config import defaults
    from central.db import close_database, open_database
    from central.keys import center_identity
    from central.migrations import schema_version
    from motcua import legaltime
    from motcua.settings import read_setting
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    legaltime.set_zone(read_setting("LEGAL_TIME_ZONE", defaults(), folder / CONFIG_FILENAME,
                                    "CENTRAL"))       # the zone an upgrade reads old values in
    database = open_database(folder, database_url)
    version = schema_version(database)
    try:
        fingerprint = center_identity(folder, new_keys=new_keys).public_keys().fingerprint()
    finally:
        close_database()
    cfg = folder / CONFIG_FILENAME
    if database_url or not cfg.exists():
        fd = os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# motcua center settings (see central/config.py)\n")
            if database_url:
                fh.write(f"DATABASE_URL = {database_url!r}\n")
    where = "PostgreSQL" if database_url else f"SQLite {folder / 'central.db'}"
    click.echo(f"Đã khởi tạo trung tâm tại {folder} ({where}, lược đồ v{version}); "
               f"dấu vân tay khóa: {fingerprint}.")
    if new_keys:
        click.echo("Đã tạo khóa mới: mọi điểm phải ghi danh lại (`motcua node enroll`).", err=True)


@central_group.command("serve")
@DATA_DIR
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8700, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Center processes: N > 1 starts N on ports PORT … PORT+N-1 (behind HAProxy, "
                   "deploy/haproxy.cfg) and restarts any that dies.")
@fail_on_domain_error
def serve_cmd(data_dir, host, port, threads, workers):
    """Serve the center's API, sync endpoints and officers' pages with cheroot.

    cheroot hands request bodies to the app as they arrive, so an upload cut mid-way keeps every
    byte that got through (waitress reads a whole body before the app sees any of it). A
    background job sweeps abandoned uploads and old held parcels every SWEEP_EVERY_S; with
    several processes, one at a time runs it (a lock in the database). Several processes need
    PostgreSQL (DATABASE_URL) and, on more than one machine, an S3 BLOB_STORE (docs/scale.md).

    Example: motcua central serve --data-dir /var/lib/motcua-central --host 0.0.0.0 --port 8700
    Example: motcua central serve --data-dir /var/lib/motcua-central --port 8701 --workers 2
    """
    from cheroot import wsgi

    from central.locks import run_exclusively
    from central.sync_api import sweep_abandoned
    from motcua.inputs import check_port_free
    from motcua.jobs import Jobs
    if workers > 1:
        from central.workers import supervise
        for i in range(workers):
            check_port_free(host, port + i)
        sys.exit(supervise(data_dir, host, port, workers, threads))
    check_port_free(host, port)
    os.environ["CENTRAL_SERVE_THREADS"] = str(threads)      # sizes the connection pool
    app = _open(data_dir, whole=True)
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="motcua",
                         timeout=60)
    server.max_request_body_size = int(app.config["MAX_REQUEST_BYTES"])
    server.max_request_header_size = 64 * 1024

    def sweep():
        with app.app_context():             # its teardown gives a pooled connection back
            run_exclusively("sweep", lambda: sweep_abandoned(app))
    jobs = Jobs("motcua-central-jobs")
    jobs.every(float(app.config["SWEEP_EVERY_S"]), "sweep", sweep)
    jobs.start()
    click.echo(f"motcua central serving on http://{host}:{port}/", err=True)
    import signal

    def terminate(*_):
        raise KeyboardInterrupt          # safe_start stops the server cleanly on it
    signal.signal(signal.SIGTERM, terminate)
    try:
        server.safe_start()
    finally:
        jobs.stop(timeout=5)
        server.stop()


add_account_commands(central_group, whose="center", open_folder=_open, users_module="central.users",
                     roles=("officer", "leader", "admin"), default_role=None,
                     role_help="officer (handles dossiers), leader (reads figures) or admin.",
                     example_user="hoa")


@central_group.command("enroll-token")
@DATA_DIR
@click.option("--unit-code", required=True, type=UNIT_CODE,
              help="The point's unit code: 5 digits, e.g. 07024.")
@click.option("--name", required=True, help="The point's name, e.g. \"Quan Lạn\".")
@click.option("--ttl", default="24h", show_default=True, help="Lifetime: 30m, 24h, 7d.")
@click.option("--file", "offer_file", type=click.Path(dir_okay=False), default=None,
              help="Write a signed enrollment file (token + center keys) for a point with no link.")
@fail_on_domain_error
def enroll_token_cmd(data_dir, unit_code, name, ttl, offer_file):
    """Print a one-time, expiring token a technician gives to `motcua node enroll`, or write it
    with the center's keys into an enrollment file for `motcua node enroll --enroll-file`.

    Example: motcua central enroll-token --data-dir D --unit-code 07024 --name "Quan Lạn" --ttl 24h
    Example: motcua central enroll-token --data-dir D --unit-code 07027 --name "Ngọc Vừng" --ttl 7d
    --file /media/usb/ngoc-vung.enroll
    """
    from central.enrollment import issue_enroll_offer, issue_enroll_token
    from central.keys import center_identity
    from motcua.files import write_durably
    lifetime = parse_ttl(ttl)
    _open(data_dir)
    if offer_file is None:
        click.echo(issue_enroll_token(unit_code, name, ttl=lifetime, now=legaltime.now()))
        return
    identity = center_identity(data_dir)
    write_durably(offer_file, issue_enroll_offer(unit_code, name, identity, ttl=lifetime,
                                                 now=legaltime.now()), mode=0o600)
    click.echo(f"Đã ghi tệp ghi danh cho {unit_code} vào {offer_file} (dùng một lần, hết hạn sau "
               f"{ttl}). Dấu vân tay trung tâm: {identity.public_keys().fingerprint()}")


@central_group.command("verify")
@DATA_DIR
@click.option("--database-url", default=None,
              help="postgresql://… when not the one in D/central.cfg (default: as configured).")
@fail_on_domain_error
def verify_cmd(data_dir, database_url):
    """Re-fold every dossier from the stored events; list any difference, exit 1 if there is one.

    Example: motcua central verify --data-dir /var/lib/motcua-central
    """
    from central.verify import verify_center
    if database_url:
        from central import create_app
        create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url})
    else:
        _open(data_dir)
    report = verify_center()
    for line in report.problems:
        click.echo(line)
    if not report.ok:
        click.echo(f"{len(report.problems)} khác biệt trên {report.checked} hồ sơ.", err=True)
        sys.exit(1)
    click.echo(f"Đã kiểm tra {report.checked} hồ sơ: khớp với nhật ký.")


@central_group.command("summary-rebuild")
@DATA_DIR
@click.option("--database-url", default=None,
              help="postgresql://… when not the one in D/central.cfg (default: as configured).")
@fail_on_domain_error
def summary_rebuild_cmd(data_dir, database_url):
    """Make the dashboard's summary again from the dossier rows (after a bulk load or a restore
    from rows; `central verify` says when it is needed).

    Example: motcua central summary-rebuild --data-dir /var/lib/motcua-central
    """
    from central.db import write_transaction
    from central.summary import rebuild
    if database_url:
        from central import create_app
        create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url})
    else:
        _open(data_dir)
    with write_transaction():
        rows = rebuild()
    click.echo(f"Đã lập lại bảng tổng hợp: {rows} dòng.")


def _echo_ferry(report) -> None:
    for line in report.lines():
        click.echo(line)


@central_group.command("import")
@DATA_DIR
@click.option("--from", "folder", required=True, type=click.Path(exists=True, file_okay=False),
              help="The USB stick's folder, with one lane per point.")
@fail_on_domain_error
def import_cmd(data_dir, folder):
    """Ingest every point's parcels from a USB stick; write receipts and what each point is owed.

    Example: motcua central import --data-dir /var/lib/motcua-central --from /media/usb
    """
    from central.ferry import import_from
    app = _open(data_dir)
    report = import_from(data_dir, folder, key_grace=timedelta(days=float(app.config["KEY_GRACE_DAYS"])),
                         store=app.extensions["motcua.store"])
    _echo_ferry(report)
    if report.refused:
        sys.exit(1)


@central_group.command("export")
@DATA_DIR
@click.option("--to", "folder", required=True, type=click.Path(file_okay=False),
              help="The USB stick's folder.")
@click.option("--node", "units", multiple=True,
              help="Only this point (repeat for several; default: every active point).")
@fail_on_domain_error
def export_cmd(data_dir, folder, units):
    """Write the parcels the center owes points (and the public keys file) onto a USB stick.

    Example: motcua central export --data-dir D --to /media/usb --node 07024 --node 07025
    """
    from central.ferry import export_to
    _open(data_dir)
    _echo_ferry(export_to(data_dir, folder, list(units)))


@central_group.group("point")
def point_group():
    """The reception points enrolled at this center."""


@point_group.command("list")
@DATA_DIR
def point_list_cmd(data_dir):
    """Each point: key status and fingerprint (and when it was last rotated), last contact,
    backlogs, clock skew, refused parcels.

    Example: motcua central point list --data-dir D
    """
    from central.points import list_points
    _open(data_dir)
    for p in list_points():
        skew = f"{p['clock_skew_ms'] / 1000:+.0f} s" if p["clock_skew_ms"] is not None else "?"
        rotated = f" (đổi {p['rotated_at']})" if p["rotated_at"] else ""
        click.echo(f"{p['unit_code']:<8} {p['name']:<20} khoá: {p['key_status']:<8} "
                   f"{p['key_fingerprint'] or '-'}{rotated}  liên lạc: {p['last_contact'] or 'chưa'}  "
                   f"lệch giờ: {skew}  "
                   f"chờ xuống: {p['backlog_down']}  bị từ chối: {p['refused_parcels']}")
        click.echo(f"         ghi danh: {p['enrolled_at'] or 'chưa (chờ yêu cầu ghi danh)'}")
        if p["last_refusal"]:
            click.echo(f"         từ chối gần nhất: {p['last_refusal']}")


@point_group.command("revoke")
@DATA_DIR
@click.option("--unit-code", required=True, help="The point whose keys are no longer trusted.")
@fail_on_domain_error
def point_revoke_cmd(data_dir, unit_code):
    """Refuse every parcel signed with this point's keys from now on (a stolen or lost PC).

    The point must enroll again with a new one-time token to send anything.
    Example: motcua central point revoke --data-dir D --unit-code 07024
    """
    from central.points import revoke_point
    _open(data_dir)
    point = revoke_point(unit_code)
    click.echo(f"Đã thu hồi khoá của điểm {point.unit_code} {point.name}: mọi gói từ khoá này sẽ bị từ chối.")


@central_group.command("doctor")
@DATA_DIR
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@fail_on_domain_error
def doctor_cmd(data_dir, as_json):
    """Health checks of the center: disk, database, keys, quiet or refused points, service.
    Exit status: 0 ok, 1 a warning, 2 a failure.

    Example: motcua central doctor --data-dir /var/lib/motcua-central --json
    """

    from central.doctor import run_checks
    _open(data_dir)
    report_checks(run_checks(data_dir), as_json)


@central_group.command("install-service")
@DATA_DIR
@click.option("--user", envvar="MOTCUA_SERVICE_USER", default="motcua-central", show_default=True,
              help="The system user the service runs as.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8700, show_default=True, type=int, help="Port to listen on.")
@click.option("--unit-dir", envvar="MOTCUA_UNIT_DIR", default="/etc/systemd/system", show_default=True,
              type=click.Path(file_okay=False), help="Where to write the unit.")
@click.option("--no-enable", is_flag=True, help="Write the unit only (no user, no systemctl).")
@fail_on_domain_error
def install_service_cmd(data_dir, user, host, port, unit_dir, no_enable):
    """Install the systemd unit of the center (start at boot, restart on failure, dedicated user,
    hardening, logs to the journal).

    Example: sudo motcua central install-service --data-dir /var/lib/motcua-central
    """
    from motcua.service import install_unit, render_unit
    _open(data_dir)
    text = render_unit("central", data_dir=data_dir, user=user, host=host, port=port)
    for line in install_unit("central", text, data_dir=data_dir, user=user, unit_dir=unit_dir,
                             create_user=not no_enable, enable=not no_enable):
        click.echo(line)
