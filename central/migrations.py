"""Schema migrations of the center database, from day one, the same on SQLite and PostgreSQL.

The `schema_migration` table lists the versions applied. Each migration is a list of SQL statements
(with `{serial}`, `{ts}`, `{bool}`, `{bigint}`, `{bytes}` filled in per backend) or a function of the
database, applied in one transaction by `motcua.migrations` (on PostgreSQL under an advisory lock, so
several center processes starting at once migrate one after another). The schema they build must
equal what `central.models` declares (`tests/test_schema.py`). Never edit a released migration: add
the next one.
"""
from __future__ import annotations

from motcua.migrations import TYPES, Migrations, VersionTable, dialect, instants_to_utc

V1_CORE_TABLES = [
    """CREATE TABLE "state" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)""",
    """CREATE TABLE "point" ("id" {serial}, "unit_code" VARCHAR(255) NOT NULL, "name" TEXT NOT NULL, "sign_pub" TEXT, "enc_pub" TEXT, "key_status" VARCHAR(255) NOT NULL, "enrolled_at" {ts}, "last_contact" {ts}, "last_seq_in" {bigint} NOT NULL, "last_hash_in" VARCHAR(255), "next_seq_out" {bigint} NOT NULL, "clock_skew_ms" {bigint}, "backlog_reported" INTEGER, "refused_count" INTEGER NOT NULL)""",
    """CREATE UNIQUE INDEX "point_unit_code" ON "point" ("unit_code")""",
    """CREATE TABLE "enroll_token" ("id" {serial}, "token_sha256" VARCHAR(255) NOT NULL, "unit_code" VARCHAR(255) NOT NULL, "name" TEXT NOT NULL, "created_at" {ts} NOT NULL, "expires_at" {ts} NOT NULL, "used_at" {ts})""",
    """CREATE UNIQUE INDEX "enroll_token_token_sha256" ON "enroll_token" ("token_sha256")""",
    """CREATE TABLE "user" ("id" {serial}, "username" VARCHAR(255) NOT NULL, "full_name" TEXT, "role" VARCHAR(255) NOT NULL, "password_hash" TEXT NOT NULL, "active" {bool} NOT NULL, "created_at" {ts} NOT NULL)""",
    """CREATE UNIQUE INDEX "user_username" ON "user" ("username")""",
    """CREATE TABLE "api_token" ("id" {serial}, "user_id" INTEGER NOT NULL, "token_sha256" VARCHAR(255) NOT NULL, "label" TEXT, "created_at" {ts} NOT NULL, "revoked" {bool} NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)""",
    """CREATE INDEX "api_token_user_id" ON "api_token" ("user_id")""",
    """CREATE UNIQUE INDEX "api_token_token_sha256" ON "api_token" ("token_sha256")""",
    """CREATE TABLE "dossier" ("id" {serial}, "uid" VARCHAR(255) NOT NULL, "code" VARCHAR(255) NOT NULL, "official_code" VARCHAR(255), "origin" VARCHAR(255) NOT NULL, "procedure_code" VARCHAR(255) NOT NULL, "catalogue_version" VARCHAR(255), "channel" INTEGER, "status" INTEGER NOT NULL, "applicant" TEXT NOT NULL, "owner" TEXT, "applicant_id_number" VARCHAR(255), "received_at" {ts} NOT NULL, "due_at" {ts}, "paused_at" {ts}, "finished_at" {ts}, "returned_at" {ts}, "returned_to" TEXT, "supplement_count" INTEGER NOT NULL, "rating" VARCHAR(255), "open_conflicts" INTEGER NOT NULL, "event_count" INTEGER NOT NULL, "updated_hlc" VARCHAR(255) NOT NULL, "search_text" TEXT NOT NULL)""",
    """CREATE UNIQUE INDEX "dossier_uid" ON "dossier" ("uid")""",
    """CREATE INDEX "dossier_code" ON "dossier" ("code")""",
    """CREATE UNIQUE INDEX "dossier_official_code" ON "dossier" ("official_code")""",
    """CREATE INDEX "dossier_origin" ON "dossier" ("origin")""",
    """CREATE INDEX "dossier_procedure_code" ON "dossier" ("procedure_code")""",
    """CREATE INDEX "dossier_status" ON "dossier" ("status")""",
    """CREATE INDEX "dossier_applicant_id_number" ON "dossier" ("applicant_id_number")""",
    """CREATE INDEX "dossier_received_at" ON "dossier" ("received_at")""",
    """CREATE TABLE "attachment" ("id" {serial}, "dossier_uid" VARCHAR(255) NOT NULL, "requirement" VARCHAR(255), "sha256" VARCHAR(255) NOT NULL, "size" {bigint}, "mime" VARCHAR(255), "filename" TEXT, "present" {bool} NOT NULL)""",
    """CREATE INDEX "attachment_dossier_uid" ON "attachment" ("dossier_uid")""",
    """CREATE INDEX "attachment_sha256" ON "attachment" ("sha256")""",
    """CREATE UNIQUE INDEX "attachment_dossier_uid_requirement_sha256" ON "attachment" ("dossier_uid", "requirement", "sha256")""",
    """CREATE TABLE "blob" ("sha256" VARCHAR(255) NOT NULL PRIMARY KEY, "size" {bigint} NOT NULL, "received_at" {ts} NOT NULL)""",
    """CREATE TABLE "event" ("id" {serial}, "event_id" VARCHAR(255) NOT NULL, "dossier_uid" VARCHAR(255), "kind" VARCHAR(255) NOT NULL, "origin" VARCHAR(255) NOT NULL, "actor" VARCHAR(255) NOT NULL, "hlc" VARCHAR(255) NOT NULL, "payload" TEXT NOT NULL, "received_at" {ts} NOT NULL, "parcel_id" VARCHAR(255))""",
    """CREATE UNIQUE INDEX "event_event_id" ON "event" ("event_id")""",
    """CREATE INDEX "event_dossier_uid" ON "event" ("dossier_uid")""",
    """CREATE INDEX "event_hlc" ON "event" ("hlc")""",
    """CREATE TABLE "outbound" ("id" {serial}, "point_id" INTEGER NOT NULL, "event_id" VARCHAR(255) NOT NULL, "queued_at" {ts} NOT NULL, "acked_at" {ts}, FOREIGN KEY ("point_id") REFERENCES "point" ("id") ON DELETE CASCADE)""",
    """CREATE UNIQUE INDEX "outbound_point_id_event_id" ON "outbound" ("point_id", "event_id")""",
    """CREATE INDEX "outbound_point_id_acked_at_id" ON "outbound" ("point_id", "acked_at", "id")""",
    """CREATE TABLE "seen_parcel" ("id" {serial}, "sender" VARCHAR(255) NOT NULL, "seq" {bigint} NOT NULL, "sha256" VARCHAR(255) NOT NULL, "receipt" {bytes} NOT NULL, "applied_at" {ts} NOT NULL)""",
    """CREATE UNIQUE INDEX "seen_parcel_sender_seq" ON "seen_parcel" ("sender", "seq")""",
    """CREATE TABLE "refusal" ("id" {serial}, "sender" VARCHAR(255), "reason_code" VARCHAR(255) NOT NULL, "message" TEXT NOT NULL, "at" {ts} NOT NULL)""",
    """CREATE INDEX "refusal_sender" ON "refusal" ("sender")""",
    """CREATE TABLE "conflict" ("conflict_id" VARCHAR(255) NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "dossier_uid" VARCHAR(255), "is_open" {bool} NOT NULL, "detail" TEXT NOT NULL, "first_seen" {ts} NOT NULL, "updated_at" {ts} NOT NULL)""",
    """CREATE INDEX "conflict_dossier_uid" ON "conflict" ("dossier_uid")""",
    """CREATE INDEX "conflict_is_open" ON "conflict" ("is_open")""",
]

def _v2_down_parcels(database) -> None:
    """Down-going parcels kept until acknowledged (owned by the sync layer: central.outbound)."""
    from central.outbound import MIGRATION
    for statement in MIGRATION:
        database.execute_sql(statement.format(**TYPES[dialect(database)]))


V3_KEY_ROTATION = [
    """ALTER TABLE "point" ADD COLUMN "prev_sign_pub" TEXT""",
    """ALTER TABLE "point" ADD COLUMN "prev_enc_pub" TEXT""",
    """ALTER TABLE "point" ADD COLUMN "prev_until" {ts}""",
    """ALTER TABLE "point" ADD COLUMN "rotated_at" {ts}""",
]

V4_SESSIONS_AND_THROTTLES = [
    # Server-side sessions (logout, a new password or a disabled account ends them) and the
    # failure counters of logins (kept across restarts, floods and several center processes).
    """CREATE TABLE "user_session" ("id" {serial}, "user_id" INTEGER NOT NULL, "sid_sha256" VARCHAR(255) NOT NULL, "created_at" {ts} NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)""",
    """CREATE UNIQUE INDEX "user_session_sid_sha256" ON "user_session" ("sid_sha256")""",
    """CREATE INDEX "user_session_user_id" ON "user_session" ("user_id")""",
    """CREATE TABLE "throttle" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "failures" INTEGER NOT NULL, "updated_at" {ts} NOT NULL, "locked_until" {ts})""",
    """CREATE INDEX "throttle_updated_at" ON "throttle" ("updated_at")""",
]

def _v5_bigint_keys(database) -> None:
    """On PostgreSQL, keys are BIGSERIAL but the columns naming them were INTEGER: widen them, so
    what the tables hold is what `central.models` declares (on SQLite both are the same rowid)."""
    if dialect(database) != "postgres":
        return
    for table, column in (("api_token", "user_id"), ("user_session", "user_id"),
                          ("outbound", "point_id")):
        database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE BIGINT')


def _v6_original_due_and_search(database) -> None:
    """An apology (Form 04) moves the due date once; statistics judge against the one it replaced.
    And search holds whole codes: old rows' search text is brought up to date."""
    import json

    from sync.folding import row_search_text
    ts = TYPES[dialect(database)]["ts"]
    database.execute_sql(f'ALTER TABLE "dossier" ADD COLUMN "original_due_at" {ts}')
    param = "%s" if dialect(database) == "postgres" else "?"
    rows = database.execute_sql('SELECT id, code, official_code, applicant, owner '
                                'FROM dossier').fetchall()
    for rid, code, official, applicant, owner in rows:
        text = row_search_text({"code": code, "official_code": official,
                                "applicant": json.loads(applicant) if applicant else {},
                                "owner": json.loads(owner) if owner else {}})
        database.execute_sql(f'UPDATE dossier SET search_text = {param} WHERE id = {param}',
                             (text, rid))


V7_HEARTBEATS = [
    # The latest heartbeat of each point (central.heartbeats): version, backlog, disk, backup.
    """CREATE TABLE "point_heartbeat" ("unit_code" VARCHAR(255) NOT NULL PRIMARY KEY, "received_at" {ts} NOT NULL, "via" VARCHAR(255) NOT NULL, "sent_at" {ts} NOT NULL, "version" VARCHAR(255) NOT NULL, "backlog_events" {bigint} NOT NULL, "backlog_scans" {bigint} NOT NULL, "backlog_bytes" {bigint} NOT NULL, "oldest_waiting" {ts}, "disk_free_bytes" {bigint} NOT NULL, "last_backup_at" {ts}, "body" TEXT NOT NULL)""",  # noqa: E501 - shipped SQL
]


V8_ASSIGNEE_AND_SCANS = [
    # Center-only columns folded from the journal (central.apply.center_columns): the officer a
    # dossier is assigned to, and how many scans of its papers it has (the dashboard's "digitised"
    # is then a sum, not a join of a million dossiers with their attachments).
    """ALTER TABLE "dossier" ADD COLUMN "assignee" VARCHAR(255)""",
    """CREATE INDEX "dossier_assignee_status" ON "dossier" ("assignee", "status")""",
    """ALTER TABLE "dossier" ADD COLUMN "scan_count" INTEGER NOT NULL DEFAULT 0""",
    """UPDATE "dossier" SET "scan_count" = (SELECT COUNT(*) FROM "attachment" WHERE "attachment"."dossier_uid" = "dossier"."uid" AND ("attachment"."requirement" IS NULL OR "attachment"."requirement" <> 'ket-qua'))""",
]


# PostgreSQL only (a center big enough to need them runs PostgreSQL; SQLite has no INCLUDE, no
# trigrams): the leaders' dashboard reads narrow covering indexes instead of the wide dossier rows,
# and the officers' search ("every word anywhere in the text", ILIKE '%word%') a trigram index.
# `tests/test_schema.py` knows these names: no model declares them.
POSTGRES_ONLY_INDEXES = ("dossier_intake_tally", "dossier_finished_tally", "dossier_search_trgm",
                         "dossier_running_due")


def _v9_dashboard_and_search_indexes(database) -> None:
    """Covering indexes for the dashboard's grouped counts, a trigram index for search."""
    if dialect(database) != "postgres":
        return
    database.execute_sql('CREATE INDEX "dossier_intake_tally" ON "dossier" ("received_at", "origin") '
                         'INCLUDE ("procedure_code", "status", "channel", "scan_count")')
    database.execute_sql('CREATE INDEX "dossier_finished_tally" ON "dossier" ("finished_at", "origin") '
                         'INCLUDE ("status", "received_at", "due_at", "original_due_at", '
                         '"supplement_count", "rating") WHERE "finished_at" IS NOT NULL')
    # pg_trgm ships with the server (a trusted extension: the database's owner may create it);
    # without it, search still works, only slower.
    if database.execute_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").fetchone():
        database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        database.execute_sql('CREATE INDEX "dossier_search_trgm" ON "dossier" '
                             'USING gin ("search_text" gin_trgm_ops)')


# Issue #12: every date-time column holds an instant in UTC (`motcua.dbfields.InstantField`):
# `timestamptz` on PostgreSQL, ISO 8601 UTC text on SQLite; the naive legal wall times written before
# are converted in place.
V10_INSTANTS = [
    ("point", "enrolled_at"), ("point", "last_contact"), ("point", "prev_until"),
    ("point", "rotated_at"),
    ("enroll_token", "created_at"), ("enroll_token", "expires_at"), ("enroll_token", "used_at"),
    ("user", "created_at"), ("api_token", "created_at"), ("user_session", "created_at"),
    ("throttle", "updated_at"), ("throttle", "locked_until"),
    ("dossier", "received_at"), ("dossier", "due_at"), ("dossier", "paused_at"),
    ("dossier", "original_due_at"), ("dossier", "finished_at"), ("dossier", "returned_at"),
    ("blob", "received_at"), ("event", "received_at"),
    ("outbound", "queued_at"), ("outbound", "acked_at"), ("seen_parcel", "applied_at"),
    ("refusal", "at"), ("conflict", "first_seen"), ("conflict", "updated_at"),
    ("down_parcel", "created_at"), ("down_parcel", "acked_at"),
    ("point_heartbeat", "received_at"), ("point_heartbeat", "sent_at"),
    ("point_heartbeat", "oldest_waiting"), ("point_heartbeat", "last_backup_at"),
]


def _v11_dossier_tally(database) -> None:
    """The dashboard's summary (`central.summary`), made from the dossiers already held; on
    PostgreSQL, the running dossiers in due order (`central.desk.RUNNING`: the same statuses)."""
    types = TYPES[dialect(database)]
    real = "DOUBLE PRECISION" if dialect(database) == "postgres" else "REAL"
    database.execute_sql(
        'CREATE TABLE "dossier_tally" ("id" {serial}, "grain" VARCHAR(255) NOT NULL, '
        '"period" VARCHAR(255) NOT NULL, "origin" VARCHAR(255) NOT NULL, '
        '"procedure_code" VARCHAR(255) NOT NULL, "status" INTEGER NOT NULL, '
        '"channel" INTEGER NOT NULL, "verdict" VARCHAR(255) NOT NULL, '
        '"rating" VARCHAR(255) NOT NULL, "fee" VARCHAR(255) NOT NULL, "n" {bigint} NOT NULL, '
        '"scanned" {bigint} NOT NULL, "receipts" {bigint} NOT NULL, "vnd" {bigint} NOT NULL, '
        '"seconds" {real} NOT NULL)'.format(real=real, **types))
    database.execute_sql(
        'CREATE UNIQUE INDEX "dossier_tally_grain_period_origin_procedure_code_status__449b492" ON "dossier_tally" ("grain", "period", "origin", "procedure_code", '
        '"status", "channel", "verdict", "rating", "fee")')
    if dialect(database) == "postgres":
        # The officers' work list (running dossiers late or due soon, most urgent first) reads
        # the few running dossiers in due order instead of sorting every running one.
        database.execute_sql('CREATE INDEX "dossier_running_due" ON "dossier" ("due_at", "id") '
                             'WHERE "status" IN (1, 2, 4, 6, 7)')
    from central.summary import rebuild
    rebuild(database)


# Instant columns made after v10 (v12's), instants from the start (nothing to convert).
INSTANTS_SINCE_V10 = [("upload", "created_at"), ("upload", "touched_at")]


def _v12_uploads_in_the_database(database) -> None:
    """Resumable uploads' state moves from `<sha>.json` files beside the bytes into the database,
    so several center processes share it (uploads in flight at the upgrade are sent again). Its
    times are instants, like every other since v10."""
    types = TYPES[dialect(database)]
    instant = "TIMESTAMPTZ" if dialect(database) == "postgres" else "DATETIME"
    database.execute_sql(
        f'CREATE TABLE "upload" ("id" {types["serial"]}, "owner" VARCHAR(255) NOT NULL, '
        f'"upload_id" VARCHAR(255) NOT NULL, "length" {types["bigint"]} NOT NULL, '
        '"piece_bytes" INTEGER NOT NULL, "pieces" TEXT NOT NULL, '
        f'"received" {types["bigint"]} NOT NULL, "created_at" {instant} NOT NULL, '
        f'"touched_at" {instant} NOT NULL, "receipt" {types["bytes"]})')
    database.execute_sql('CREATE UNIQUE INDEX "upload_owner_upload_id" ON "upload" '
                         '("owner", "upload_id")')
    database.execute_sql('CREATE INDEX "upload_touched_at" ON "upload" ("touched_at")')


MIGRATIONS = [V1_CORE_TABLES, _v2_down_parcels, V3_KEY_ROTATION, V4_SESSIONS_AND_THROTTLES,
              _v5_bigint_keys, _v6_original_due_and_search, V7_HEARTBEATS, V8_ASSIGNEE_AND_SCANS,
              _v9_dashboard_and_search_indexes, instants_to_utc(V10_INSTANTS),
              _v11_dossier_tally, _v12_uploads_in_the_database]
CENTER = Migrations("center", MIGRATIONS, VersionTable(), lock_key=7024_0001)
LATEST, migrate, schema_version = CENTER.latest, CENTER.migrate, CENTER.schema_version
