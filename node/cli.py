"""`motcua node …`: what a technician types to set up and run a reception point."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from motcua.clikit import (
    add_account_commands,
    data_dir_option,
    fail_on_domain_error,
    report_checks,
    whole_app,
)
from motcua.inputs import DAY, UNIT_CODE, URL

DATA_DIR = data_dir_option("node")


def _without_postgres_driver() -> None:
    """A point never speaks PostgreSQL, yet peewee imports psycopg whenever it is installed (the
    center's `postgres` extra, on a dev, demo or shared PC): 11 MB resident for nothing in a
    process that runs for weeks on 2 GB. Hidden from this process before peewee's first import;
    only `node serve` does this (a process that is only a point)."""
    if "peewee" not in sys.modules:
        for name in ("psycopg", "psycopg2"):
            sys.modules.setdefault(name, None)     # `import psycopg` then raises ImportError


def _legal_zone(data_dir) -> None:
    """The app's legal zone, before a command opens (and perhaps migrates) the database."""
    from motcua import legaltime
    from motcua.settings import read_setting
    from node.config import defaults
    legaltime.set_zone(read_setting("LEGAL_TIME_ZONE", defaults(), Path(data_dir) / "node.cfg",
                                    "NODE"))


def _open(data_dir):
    from node.db import database_path, open_database
    from node.facts import get_state
    if not database_path(data_dir).is_file():     # never make a folder or a database here
        raise click.ClickException(f"{data_dir} chưa phải là điểm tiếp nhận (không có node.db): "
                                   "kiểm tra --data-dir, hoặc chạy `motcua node init` trước.")
    _legal_zone(data_dir)
    open_database(data_dir)
    if not get_state("unit_code"):
        raise click.ClickException(f"{data_dir} chưa phải là điểm tiếp nhận: chạy `motcua node init` trước.")


@click.group("node")
def node_group():
    """A commune reception point (node)."""


@node_group.command("init")
@DATA_DIR
@click.option("--unit-code", required=True, type=UNIT_CODE,
              help="The point's unit code: 5 digits, e.g. 07024.")
@click.option("--name", required=True, help="The point's name, e.g. \"Quan Lạn\".")
@click.option("--fix-unit-code", is_flag=True,
              help="Correct a mistyped unit code (only before any dossier or enrollment).")
@click.option("--public-url", type=URL, default=None,
              help="This point's address as citizens reach it from home (Form 01's QR).")
@click.option("--center-lookup-url", type=URL, default=None,
              help="The center's public address; Form 01's QR then points to its lookup.")
@fail_on_domain_error
def init_cmd(data_dir, unit_code, name, fix_unit_code, public_url, center_lookup_url):
    """Create a working point, alone (no network needed).

    Example: motcua node init --data-dir /var/lib/motcua --unit-code 07024 --name "Quan Lạn"
    Example: motcua node init --data-dir /var/lib/motcua --unit-code 07024 --name "Quan Lạn" --fix-unit-code
    """
    from node.setup import init_node, set_public_addresses
    _legal_zone(data_dir)
    result = init_node(data_dir, unit_code, name, fix_unit_code=fix_unit_code)
    click.echo(f"Đã khởi tạo điểm {result['unit_code']} {result['name']}: "
               f"{result['procedures_added']} thủ tục, {result['holidays']} ngày lễ trong lịch.")
    if public_url or center_lookup_url:
        _echo_addresses(set_public_addresses(public_url=public_url,
                                             center_lookup_url=center_lookup_url))
    _make_voice(data_dir)


def _echo_addresses(addresses: dict) -> None:
    click.echo(f"Địa chỉ tra cứu của trung tâm: {addresses['center_lookup_url'] or 'chưa đặt'}")
    click.echo(f"Địa chỉ công khai của điểm: {addresses['public_url'] or 'chưa đặt'}")
    used = addresses["center_lookup_url"] or addresses["public_url"]
    where = used + "/lookup" if used else "địa chỉ máy này trong mạng nội bộ"
    click.echo(f"Mã QR trên giấy tiếp nhận trỏ tới: {where}")


@node_group.command("config")
@DATA_DIR
@click.option("--public-url", type=URL, default=None,
              help="This point's address as citizens reach it from home.")
@click.option("--center-lookup-url", type=URL, default=None,
              help="The center's public address (its lookup is used first).")
@click.option("--clear", type=click.Choice(["public-url", "center-lookup-url"]), multiple=True,
              help="Forget one of the two addresses.")
@fail_on_domain_error
def config_cmd(data_dir, public_url, center_lookup_url, clear):
    """Show or set the public addresses Form 01's QR and printed link use: the center's lookup
    when set, else this point's public address.

    Example: motcua node config --data-dir /var/lib/motcua --center-lookup-url https://motcua.quangninh.gov.vn
    """
    from node.setup import set_public_addresses
    _open(data_dir)
    given = {"public_url": public_url, "center_lookup_url": center_lookup_url}
    for name in clear:
        given[name.replace("-", "_")] = ""
    _echo_addresses(set_public_addresses(**given))


def _make_voice(data_dir) -> None:
    from pathlib import Path

    from node import voice
    if not voice.has_engine():
        click.echo("Chưa cài espeak-ng: màn hình gọi số sẽ không đọc số (apt-get install espeak-ng, "
                   "rồi chạy `motcua node voice`).")
        return
    made = voice.make_clips(Path(data_dir) / "voice")
    click.echo(f"Giọng đọc gọi số: {made} tệp mới.")


@node_group.command("voice")
@DATA_DIR
def voice_cmd(data_dir):
    """Make the calling display's Vietnamese word clips with the local espeak-ng (offline, once).

    Example: motcua node voice --data-dir /var/lib/motcua
    """
    _make_voice(data_dir)


@node_group.command("serve")
@DATA_DIR
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8800, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=4, show_default=True, type=int, help="Worker threads.")
@fail_on_domain_error
def serve_cmd(data_dir, host, port, threads):
    """Serve the clerk UI and the API with waitress, and run the background jobs (sync once
    enrolled, retention, clean-up).

    Example: motcua node serve --data-dir /var/lib/motcua --host 0.0.0.0 --port 8800
    """
    from waitress import create_server

    from motcua.inputs import check_port_free
    check_port_free(host, port)
    _without_postgres_driver()
    _open(data_dir)
    app = whole_app("node", {"DATA_DIR": data_dir})
    try:                                 # bind before saying "serving" (a port taken meanwhile)
        server = create_server(app, host=host, port=port, threads=threads, ident="motcua")
    except OSError as exc:
        raise click.ClickException(f"Không mở được cổng {port} trên {host}: {exc.strerror}.") from None
    app.extensions["motcua.start_background"]()
    click.echo(f"motcua node serving on http://{host}:{port}/", err=True)
    server.run()


add_account_commands(node_group, whose="node", open_folder=_open, users_module="node.users",
                     roles=("clerk", "admin"), default_role="clerk",
                     role_help="clerk or admin.", example_user="lan")


@node_group.command("status")
@DATA_DIR
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_cmd(data_dir, as_json):
    """Backlog, last contact, conflicts.

    Example: motcua node status --data-dir D --json
    """
    from node.facts import get_state
    from node.sync_status import status_dict
    _open(data_dir)
    status = {"unit_code": get_state("unit_code"), "name": get_state("unit_name"), **status_dict()}
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
        return
    click.echo(f"Điểm {status['unit_code']} {status['name']}")
    click.echo("  Ghi danh: " + {"none": "chưa ghi danh", "waiting": "chờ trung tâm xác nhận "
                                  "(mang USB tới trung tâm rồi nhập lại)",
                                  "confirmed": "đã được trung tâm xác nhận"}[status["enrollment"]])
    click.echo(f"  Lần liên lạc cuối với trung tâm: {status['last_contact'] or 'chưa có'}")
    click.echo(f"  Chờ gửi: {status['pending_events']} sự kiện, {status['pending_blobs']} tệp "
               f"({status['pending_bytes'] / 1e6:.1f} MB)")
    click.echo(f"  Xung đột chờ xử lý: {status['open_conflicts']}")
    if status["last_error"]:
        click.echo(f"  Lỗi gần nhất: {status['last_error']}")
    for key, label in (("clock_warning", "Đồng hồ"), ("up_refused", "Trung tâm từ chối"),
                       ("down_refused", "Điểm từ chối gói của trung tâm")):
        if status[key]:
            click.echo(f"  {label}: {status[key]}")


@node_group.command("verify")
@DATA_DIR
def verify_cmd(data_dir):
    """Re-fold every dossier from the journal and report any difference from the stored state.

    Example: motcua node verify --data-dir /var/lib/motcua
    """
    from node.verify import verify_node
    _open(data_dir)
    checked, problems = verify_node()
    for line in problems:
        click.echo(line)
    click.echo(f"Đã kiểm tra {checked} hồ sơ: {len(problems)} chỗ khác biệt.")
    if problems:
        sys.exit(1)


@node_group.group("holiday")
def holiday_group():
    """The holiday calendar that deadlines are counted against."""


@holiday_group.command("list")
@DATA_DIR
@click.option("--year", type=int, default=None, help="Only this year.")
def holiday_list_cmd(data_dir, year):
    """List public holidays, days in lieu and swapped working Saturdays.

    Example: motcua node holiday list --data-dir D --year 2026
    """
    from node.holidays import list_holidays
    _open(data_dir)
    for h in list_holidays(year):
        click.echo(f"{h.day.isoformat()}  {h.kind:<16} {h.name_vi}  [{h.calendar_version}]")


@holiday_group.command("set")
@DATA_DIR
@click.option("--date", "day", required=True, type=DAY,
              help="The day, dd/mm/yyyy or yyyy-mm-dd.")
@click.option("--kind", required=True,
              type=click.Choice(["holiday", "in_lieu", "working_saturday", "day_off"]),
              help="holiday, in_lieu (nghỉ bù), working_saturday (làm bù) or day_off.")
@click.option("--name", required=True, help="Vietnamese name of the day.")
@fail_on_domain_error
def holiday_set_cmd(data_dir, day, kind, name):
    """Add or change one day (e.g. a swap the Government announced late).

    Example: motcua node holiday set --data-dir D --date 2026-08-31 --kind day_off --name "Nghỉ hoán đổi"
    """
    from node.holidays import set_holiday
    _open(data_dir)
    h = set_holiday(day, kind, name)
    click.echo(f"Đã ghi {h.day} ({h.kind}): {h.name_vi}. Hạn trả của hồ sơ mới sẽ tính theo lịch này.")


@holiday_group.command("remove")
@DATA_DIR
@click.option("--date", "day", required=True, type=DAY, help="dd/mm/yyyy or yyyy-mm-dd.")
def holiday_remove_cmd(data_dir, day):
    """Remove one day from the calendar.

    Example: motcua node holiday remove --data-dir D --date 2026-08-31
    """
    from node.holidays import remove_holiday
    _open(data_dir)
    if not remove_holiday(day):
        raise click.ClickException(f"Ngày {day:%d/%m/%Y} không có trong lịch.")
    click.echo(f"Đã xoá {day:%d/%m/%Y} khỏi lịch.")


@node_group.group("fee")
def fee_group():
    """Fees the provincial council sets (the catalogue leaves them empty), versioned by date."""


@fee_group.command("list")
@DATA_DIR
def fee_list_cmd(data_dir):
    """Each procedure's fee rule in force today, and the council's versions entered here.

    Example: motcua node fee list --data-dir D
    """
    from node.catalogue import procedures_in_force
    from node.fees import council_versions, rule_for
    _open(data_dir)
    for p in procedures_in_force():
        rule = rule_for(p)
        click.echo(f"{p.code:<10} {rule.describe_vi() if rule else 'HĐND tỉnh quy định, chưa nhập'}"
                   f"  — {p.name_vi}")
        for v in council_versions(p.code):
            click.echo(f"{'':<10}   từ {v.effective_from:%d/%m/%Y}: {v.rule} "
                       f"({v.source or 'không ghi nguồn'}; {v.set_by})")


@fee_group.command("set")
@DATA_DIR
@click.option("--procedure", "code", required=True, help="The procedure code, e.g. 1.004873.")
@click.option("--vnd", type=click.IntRange(0, 10 ** 12), default=None,
              help="Amount per dossier, in đồng (or --rule for other kinds).")
@click.option("--rule", "rule_json", default=None,
              help='A rule by kind as JSON, e.g. \'{"kind": "per_copy", "vnd": 8000}\'.')
@click.option("--from", "effective_from", required=True, type=DAY,
              help="The day the council's decision takes effect, dd/mm/yyyy or yyyy-mm-dd.")
@click.option("--source", default=None, help="The resolution's number, e.g. \"NQ 12/2025/NQ-HĐND\".")
@fail_on_domain_error
def fee_set_cmd(data_dir, code, vnd, rule_json, effective_from, source):
    """Enter a council-set fee from a day on (a new version; dossiers already priced keep theirs).

    Example: motcua node fee set --data-dir D --procedure 1.004873 --vnd 15000 --from 01/01/2026
    """
    from node.fees import set_council_fee
    if (vnd is None) == (rule_json is None):
        raise click.UsageError("Cho --vnd hoặc --rule (một trong hai).")
    try:
        rule = vnd if rule_json is None else json.loads(rule_json)
    except ValueError:
        raise click.UsageError('--rule phải là JSON, ví dụ {"kind": "per_copy", "vnd": 8000}.') from None
    _open(data_dir)
    row = set_council_fee(code, rule, effective_from, "technician", source=source)
    click.echo(f"Đã ghi lệ phí {row.procedure_code} từ {row.effective_from:%d/%m/%Y}: {row.rule}.")


@node_group.command("purge-scans")
@DATA_DIR
@click.option("--days", type=int, default=None,
              help="Retention in days after closing (default: the SCAN_RETENTION_DAYS setting).")
def purge_scans_cmd(data_dir, days):
    """Remove local copies of scans the center holds, for dossiers closed long ago.

    Example: motcua node purge-scans --data-dir D --days 90
    """
    from node import create_app
    from node.retention import purge_scans
    _open(data_dir)
    app = create_app({"DATA_DIR": data_dir})
    days = app.config["SCAN_RETENTION_DAYS"] if days is None else days
    removed, freed = purge_scans(app.extensions["motcua.blobs"], int(days))
    click.echo(f"Đã xoá {removed} bản quét ({freed / 1e6:.1f} MB) đã có ở trung tâm.")


@node_group.command("enroll")
@DATA_DIR
@click.option("--central", "central_url", default=None, type=URL,
              help="The center's URL, e.g. http://10.0.0.5:8700.")
@click.option("--token", default=None, help="The one-time token from `motcua central enroll-token`.")
@click.option("--enroll-file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Or: the enrollment file the center wrote (no network needed; the request "
                   "travels on the next USB export).")
@click.option("--center-fingerprint", default=None,
              help="The center key fingerprint you were given (xxxx-xxxx-xxxx-xxxx); refused if it differs.")
@fail_on_domain_error
def enroll_cmd(data_dir, central_url, token, enroll_file, center_fingerprint):
    """Join a center: make this point's keys here, register them, pin the center's keys.

    Example: motcua node enroll --data-dir D --central http://10.0.0.5:8700 --token enr_…
    Example: motcua node enroll --data-dir D --enroll-file /media/usb/quan-lan.enroll
    """
    from node.enroll import enroll, enroll_from_file
    _open(data_dir)
    if enroll_file and not (central_url or token):
        result = enroll_from_file(data_dir, enroll_file, expected_fingerprint=center_fingerprint)
        click.echo(f"Đã ghi danh điểm {result['unit_code']} bằng tệp; yêu cầu sẽ theo lần "
                   f"`motcua node export` tới đến trung tâm.")
    elif central_url and token and not enroll_file:
        result = enroll(data_dir, central_url, token, expected_fingerprint=center_fingerprint)
        click.echo(f"Đã ghi danh điểm {result['unit_code']} với {result['central_url']}.")
    else:
        raise click.UsageError("Dùng --central cùng --token, hoặc chỉ --enroll-file.")
    click.echo(f"  Khóa trung tâm: {result['center_fingerprint']}")
    click.echo(f"  Khóa của điểm:  {result['node_fingerprint']}")
    if result["waits_for_standing"]:
        click.echo("  Trung tâm đã có dữ liệu của điểm này: lần đồng bộ đầu tiên hỏi trung tâm điểm "
                   "đang ở đâu, tiếp tục chuỗi gói tin từ đó và nhận lại hồ sơ của điểm.")


@node_group.command("rotate-keys")
@DATA_DIR
@click.option("--by-usb", is_flag=True,
              help="Send the request on the next `motcua node export` even if the center has a URL.")
@fail_on_domain_error
def rotate_keys_cmd(data_dir, by_usb):
    """Make new keys for this point, endorsed by the old ones; use them once the center confirms.

    Over HTTP when the point enrolled with a URL (a failed attempt is retried by the next sync);
    otherwise, or with --by-usb, the request travels on the next USB export and the point switches
    when it imports the center's answer.

    Example: motcua node rotate-keys --data-dir D
    Example: motcua node rotate-keys --data-dir D --by-usb
    """
    from node.key_rotation import start_rotation
    from node.rounds import exclusive, rotate_now
    from sync.transport import TransportError
    _open(data_dir)
    with exclusive(data_dir):
        started = start_rotation(data_dir)
    click.echo(f"Khóa hiện hành: {started['old_fingerprint']}")
    click.echo(f"Khóa mới:       {started['new_fingerprint']}")
    if by_usb or not started["central_url"]:
        click.echo("Yêu cầu đổi khóa sẽ theo lần `motcua node export` tới; điểm dùng khóa mới khi "
                   "nhập xác nhận của trung tâm (`motcua node import`).")
        return
    try:
        rotate_now(data_dir)
    except TransportError as exc:
        click.echo(f"Chưa đổi được khóa: {exc.message_vi} Điểm vẫn dùng khóa cũ; lần đồng bộ "
                   "sau sẽ gửi lại yêu cầu.", err=True)
        raise SystemExit(1)
    click.echo("Trung tâm đã xác nhận: điểm dùng khóa mới từ nay.")


@node_group.command("sync")
@DATA_DIR
@click.option("--no-blobs", is_flag=True, help="Send records only, leave scans for later.")
@fail_on_domain_error
def sync_cmd(data_dir, no_blobs):
    """One sync round now; exit 0 only when nothing is left to send or fetch.

    Example: motcua node sync --data-dir D
    """
    from node.rounds import sync_round
    _open(data_dir)
    report = sync_round(data_dir, include_blobs=not no_blobs)
    click.echo(report.summary())
    if report.error:
        click.echo(f"Lỗi: {report.error}", err=True)
    if not report.clean:
        raise SystemExit(1)


def _echo_ferry(report) -> None:
    for line in report.lines():
        click.echo(line)


@node_group.command("export")
@DATA_DIR
@click.option("--to", "folder", required=True, type=click.Path(file_okay=False),
              help="The USB stick's folder (a `motcua` folder is made inside it).")
@click.option("--max-bytes", type=int, default=None,
              help="At most this many bytes of this point's parcels on the stick (default: all that fits).")
@fail_on_domain_error
def export_cmd(data_dir, folder, max_bytes):
    """Write every parcel and scan the center has not acknowledged onto a USB stick (ferry mode).

    Records go first; what does not fit is listed as left for the next trip.

    Example: motcua node export --data-dir D --to /media/usb --max-bytes 16000000
    """
    from node.ferry import export_to
    _open(data_dir)
    _echo_ferry(export_to(data_dir, folder, max_bytes=max_bytes))


@node_group.command("import")
@DATA_DIR
@click.option("--from", "folder", required=True, type=click.Path(exists=True, file_okay=False),
              help="The USB stick's folder, as the center left it.")
@fail_on_domain_error
def import_cmd(data_dir, folder):
    """Take the center's receipts and parcels for this point from a USB stick; leave the rest.

    Example: motcua node import --data-dir D --from /media/usb
    """
    from node.ferry import import_from
    _open(data_dir)
    report = import_from(data_dir, folder)
    _echo_ferry(report)
    if report.refused:
        raise SystemExit(1)


@node_group.command("doctor")
@DATA_DIR
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@fail_on_domain_error
def doctor_cmd(data_dir, as_json):
    """Health checks: disk, database, clock, keys, enrollment, rules, backlog, contact, scanner,
    service; each ok, warning or fail with a hint. Exit status: 0 ok, 1 a warning, 2 a failure.

    Example: motcua node doctor --data-dir /var/lib/motcua
    Example: motcua node doctor --data-dir /var/lib/motcua --json
    """
    from node.doctor import run_checks
    _open(data_dir)
    report_checks(run_checks(data_dir), as_json)


def _read_passphrase() -> str:
    """The backup passphrase: MOTCUA_BACKUP_PASSPHRASE (a scheduled backup) or the first line
    of stdin."""
    import os
    return os.environ.get("MOTCUA_BACKUP_PASSPHRASE") or sys.stdin.readline().rstrip("\n")


@node_group.group("backup", invoke_without_command=True)
@click.option("--data-dir", envvar="MOTCUA_DATA_DIR", type=click.Path(file_okay=False),
              help="The node's folder (or MOTCUA_DATA_DIR).")
@click.option("--to", "target", type=click.Path(dir_okay=False),
              help="The backup file to write (on a second disk or a stick).")
@click.pass_context
@fail_on_domain_error
def backup_group(ctx, data_dir, target):
    """Write an encrypted, consistent backup (database, scans, keys, settings); safe while the
    point serves. The passphrase is read from stdin (or MOTCUA_BACKUP_PASSPHRASE).

    Example: echo 'cụm-mật-khẩu-dài' | motcua node backup --data-dir D --to /media/usb/quan-lan.mcb
    Example: motcua node backup verify --from /media/usb/quan-lan.mcb
    """
    if ctx.invoked_subcommand is not None:
        return
    if not data_dir or not target:
        raise click.UsageError("Cần --data-dir và --to (hoặc lệnh con `verify`).")
    from node.backup import make_backup
    _open(data_dir)
    m = make_backup(data_dir, target, _read_passphrase())
    click.echo(f"Đã sao lưu điểm {m['unit_code']} vào {target}: {m['dossiers']} hồ sơ, "
               f"{m['events']} sự kiện, {m['scans']} bản quét. Giữ mật khẩu ở nơi an toàn: "
               "mất mật khẩu là mất bản sao lưu.")


@backup_group.command("verify")
@click.option("--from", "source", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The backup file.")
@fail_on_domain_error
def backup_verify_cmd(source):
    """Check a backup without restoring it (passphrase on stdin): every record decrypts, the
    database is whole, every scan matches its hash. Exit 1 when anything is wrong.

    Example: echo 'cụm-mật-khẩu-dài' | motcua node backup verify --from /media/usb/quan-lan.mcb
    """
    from node.backup import verify_backup
    m = verify_backup(source, _read_passphrase())
    click.echo(f"Bản sao lưu của điểm {m['unit_code']} lúc {m['created_at']}: {m['dossiers']} hồ "
               f"sơ, {m['events']} sự kiện, {m['scans']} bản quét.")
    for problem in m["problems"]:
        click.echo(f"  Lỗi: {problem}")
    if m["problems"]:
        raise SystemExit(1)
    click.echo("Kiểm tra xong: dùng được để khôi phục.")


@node_group.command("restore")
@click.option("--data-dir", envvar="MOTCUA_DATA_DIR", required=True,
              type=click.Path(file_okay=False), help="The node's folder (or MOTCUA_DATA_DIR).")
@click.option("--from", "source", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The backup file.")
@click.option("--replace", is_flag=True,
              help="A point is already there: keep it aside as <folder>.before-restore-<time>.")
@fail_on_domain_error
def restore_cmd(data_dir, source, replace):
    """Restore a point from a backup (passphrase on stdin). Stop the service first. The point
    sends nothing until the center has told it where it stands (the next `motcua node sync`),
    then continues after it and gets back from the center what the backup lacked.

    Example: echo 'cụm-mật-khẩu-dài' | motcua node restore --data-dir /var/lib/motcua --from q.mcb
    """
    from node.backup import restore_backup
    m = restore_backup(data_dir, source, _read_passphrase(), replace=replace)
    click.echo(f"Đã khôi phục điểm {m['unit_code']} từ bản sao lưu lúc {m['created_at']}.")
    if m.get("enrolled"):
        click.echo("Tiếp theo: `motcua node sync` (qua mạng) để trung tâm báo điểm đang ở đâu "
                   "và gửi lại phần bản sao lưu thiếu; trước đó điểm không gửi gì.")


@node_group.command("install-service")
@DATA_DIR
@click.option("--user", envvar="MOTCUA_SERVICE_USER", default="motcua", show_default=True,
              help="The system user the service runs as.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8800, show_default=True, type=int, help="Port to listen on.")
@click.option("--backup-dir", "backup_dirs", multiple=True, type=click.Path(file_okay=False),
              help="A folder the service may also write (a second disk for backups).")
@click.option("--unit-dir", envvar="MOTCUA_UNIT_DIR", default="/etc/systemd/system", show_default=True,
              type=click.Path(file_okay=False), help="Where to write the unit.")
@click.option("--no-enable", is_flag=True, help="Write the unit only (no user, no systemctl).")
@fail_on_domain_error
def install_service_cmd(data_dir, user, host, port, backup_dirs, unit_dir, no_enable):
    """Install the systemd unit: start at boot, restart on failure, a dedicated user, hardening,
    logs to the journal (journalctl -u motcua-node).

    Example: sudo motcua node install-service --data-dir /var/lib/motcua --port 8800
    """
    from motcua.service import install_unit, render_unit
    from node.facts import unit_name
    _open(data_dir)
    text = render_unit("node", data_dir=data_dir, user=user, host=host, port=port,
                       name=unit_name(), writable=tuple(backup_dirs))
    for line in install_unit("node", text, data_dir=data_dir, user=user, unit_dir=unit_dir,
                             create_user=not no_enable, enable=not no_enable):
        click.echo(line)
