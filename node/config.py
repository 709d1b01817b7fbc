"""Every setting of a node, declared once with its default and help text.

`create_app` reads them in order: these defaults, then `<data dir>/node.cfg` (a Python file written by
`node init`), then `NODE_*` environment variables, then the test mapping.
"""
from __future__ import annotations

from motcua.settings import Setting, defaults_of

SETTINGS = [
    Setting("DATA_DIR", None, "Folder holding the database, scans and keys (or MOTCUA_DATA_DIR)."),
    Setting("MAX_UPLOAD_BYTES", 50 * 1024 * 1024, "Largest scan accepted, in bytes."),
    Setting("CUTOFF", "15:00", "After this time a same-day procedure is due the next working day."),
    Setting("OFFICE_OPEN", "07:30", "Start of the working day (deadlines)."),
    Setting("OFFICE_CLOSE", "17:00", "End of the working day (deadlines)."),
    Setting("LEGAL_TIME_ZONE", "Asia/Ho_Chi_Minh", "The zone every legal time is read in (receipts, "
            "the 15:00 rule, due dates, forms, statistics), whatever the PC's own zone."),
    Setting("UNIT_FULL_NAME", None, "The unit's full name printed at the head of every form, e.g. "
            "\"UBND xã Quan Lạn\" or \"UBND đặc khu Vân Đồn\" (default: \"UBND xã\" and the point's name)."),
    Setting("HELP_CONTACT", None, "Who citizens call for help, printed on Form 02 (e.g. \"Bộ phận một "
            "cửa, 0203 3874 123\"); default: the point's one-stop desk."),
    Setting("PAYEE_BANK_BIN", None, "The 6-digit NAPAS BIN of the bank holding the fee account "
            "(e.g. 970405 Agribank): with PAYEE_ACCOUNT, Form 01 prints a VietQR to pay by transfer."),
    Setting("PAYEE_ACCOUNT", None, "The account that receives fees by transfer (digits)."),
    Setting("PAYEE_NAME", None, "The account holder's name, printed under the VietQR."),
    Setting("DUPLICATE_WINDOW_DAYS", 7, "Same ID number and procedure at two points within this "
            "many days is flagged as a possible duplicate."),
    Setting("SYNC_INTERVAL_SECONDS", 60, "How often the background loop tries to sync."),
    Setting("CENTRAL_URL", None, "The center this node reports to (set by `node enroll`)."),
    Setting("SCAN_RETENTION_DAYS", 90, "Drop the local copy of a scan this many days after its "
            "dossier closed, once the center holds it (0 keeps scans forever)."),
    Setting("RATING_SCALE", {"very_satisfied": "Rất hài lòng", "satisfied": "Hài lòng",
                             "not_satisfied": "Không hài lòng"},
            "The citizen's satisfaction scale, code → Vietnamese label (JSON in NODE_RATING_SCALE)."),
    Setting("BACKUP_DIR", None, "Folder on a second disk or a stick for the daily encrypted backup "
            "(`node.backup_schedule`); empty: no scheduled backup."),
    Setting("BACKUP_AT", "12:00", "Legal time of day after which the day's backup is made (a PC off "
            "at that time backs up when it is next on)."),
    Setting("BACKUP_KEEP", 7, "How many scheduled backups of this point to keep in BACKUP_DIR."),
    Setting("BACKUP_PASSPHRASE_FILE", None, "File holding the backup passphrase, mode 0600 "
            "(default: <data dir>/backup.passphrase; MOTCUA_BACKUP_PASSPHRASE wins)."),
    Setting("TICKET_PRINTER", None, "The kiosk's ESC/POS ticket printer: tcp://HOST:PORT or "
            "file:/dev/usb/lp0 (needs the escpos extra); unset, the browser prints the ticket."),
    Setting("SCANNER_DEVICE", None, "The SANE device the desk's \"Quét\" buttons use, e.g. "
            "\"epson2:libusb:001:004\" (default: the first scanner SANE finds)."),
    Setting("LANGUAGE", "vi", "Default UI language: vi or en."),
    Setting("SESSION_COOKIE_SECURE", False, "Send the session cookie over HTTPS only."),
]


def defaults() -> dict:
    return defaults_of(SETTINGS)
