"""Every setting of the center, declared once with its default and help text.

`create_app` reads them in order: these defaults, then `<data dir>/central.cfg` (a Python file written
by `central init`), then `CENTRAL_*` environment variables, then the test mapping.
"""
from __future__ import annotations

from motcua.settings import Setting, defaults_of

SETTINGS = [
    Setting("DATA_DIR", None, "Folder holding the database (SQLite), blobs and keys (or MOTCUA_DATA_DIR)."),
    Setting("DATABASE_URL", None, "postgresql://user@host:port/db for a shared PostgreSQL; "
            "empty means SQLite central.db in the data dir."),
    Setting("BLOB_STORE", "", "Where scans, held parcels and unfinished uploads live: empty for "
            "the data dir's folders, or s3://bucket[/prefix]?endpoint=http://host:port for "
            "S3-compatible storage every center process shares (SeaweedFS, MinIO)."),
    Setting("S3_ACCESS_KEY", "", "Access key of the S3 store (else AWS_ACCESS_KEY_ID)."),
    Setting("S3_SECRET_KEY", "", "Secret key of the S3 store (else AWS_SECRET_ACCESS_KEY)."),
    Setting("S3_REGION", "us-east-1", "Region name the S3 store expects."),
    Setting("DB_POOL_SIZE", 0, "PostgreSQL connections this process keeps at most (psycopg_pool); "
            "0: the server's threads + 2 (the jobs' thread and a spare: with exactly one per "
            "thread the sweep starved behind slow uploads). Several processes: mind "
            "max_connections."),
    Setting("SERVE_THREADS", 8, "Server threads (set by `central serve --threads`)."),
    Setting("DUPLICATE_WINDOW_DAYS", 7, "Same ID number and procedure at two points within this "
            "many days is flagged as a possible duplicate."),
    Setting("ENROLL_TOKEN_TTL_HOURS", 24, "Default lifetime of a one-time enrollment token."),
    Setting("KEY_GRACE_DAYS", 30, "After a point rotates its keys, parcels signed with its old key "
            "are still taken for this many days, or until one signed with the new key is applied."),
    Setting("OFFICE_OPEN", "07:30", "Start of the working day (deadlines)."),
    Setting("OFFICE_CLOSE", "17:00", "End of the working day (deadlines)."),
    Setting("LEGAL_TIME_ZONE", "Asia/Ho_Chi_Minh", "The zone every legal time is read in (receipts, "
            "the 15:00 rule, due dates, forms, statistics), whatever the PC's own zone."),
    Setting("MAX_REQUEST_BYTES", 8 * 1024 * 1024, "Largest request body on any route; a larger "
            "one is refused (413) before it is read."),
    Setting("UPLOAD_MAX_BYTES", 16 * 1024 * 1024, "Largest parcel a point may upload."),
    Setting("UPLOAD_QUOTA_BYTES", 64 * 1024 * 1024, "Bytes a point may have in unfinished uploads "
            "at once."),
    Setting("UPLOAD_EXPIRE_HOURS", 48, "An upload untouched this long is abandoned: the "
            "background sweep deletes it (and held parcels older than HELD_EXPIRE_DAYS)."),
    Setting("BLOB_PARTIAL_QUOTA_BYTES", 128 * 1024 * 1024, "Bytes of scan chunks a point may keep "
            "at the center not yet joined into a whole scan (above the largest scan a point takes); "
            "beyond, its chunks of further scans are refused until those under way are whole."),
    Setting("HELD_MAX_PARCELS", 64, "Parcels held per point while it waits for a gap to fill."),
    Setting("HELD_EXPIRE_DAYS", 14, "A held parcel older than this is deleted by the sweep."),
    Setting("SWEEP_EVERY_S", 600, "How often `central serve` sweeps abandoned uploads and old "
            "held parcels."),
    Setting("MAX_RESULT_BYTES", 20 * 1024 * 1024, "Largest result file (PDF) an officer may "
            "attach; it goes down to the point like a scan."),
    Setting("MAX_PER_PAGE", 100, "Largest page the dossier list returns."),
    Setting("SILENT_AFTER_HOURS", 48, "The fleet page flags a point not heard from (no parcel, no "
            "receipt) for longer than this."),
    Setting("MAX_REQUEST_BYTES", 64 * 1024 * 1024, "Largest request body (a parcel upload chunk); "
            "bigger requests get 413."),
]


def defaults() -> dict:
    return defaults_of(SETTINGS)
