"""Schema migrations of the node database, from day one (run by `motcua.migrations`).

`PRAGMA user_version` holds the schema version. Each migration is a list of SQL statements or a
function, applied in one transaction; a node with an older file upgrades in place on start. The
schema they build must equal what `node.models` declares (`tests/test_schema.py`). Never edit a
released migration: add the next one.
"""
from __future__ import annotations

from motcua.migrations import Migrations, UserVersion, instants_to_utc

V1_CORE_TABLES = [
    """CREATE TABLE "state" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)""",
    """CREATE TABLE "procedure" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "catalogue_version" VARCHAR(255) NOT NULL, "effective_from" DATE NOT NULL, "name_vi" TEXT NOT NULL, "name_en" TEXT, "level" VARCHAR(255), "processing_days" INTEGER NOT NULL, "fee_vnd" INTEGER, "source" TEXT, "confidence" TEXT, "search_text" TEXT NOT NULL)""",
    """CREATE INDEX "procedure_code" ON "procedure" ("code")""",
    """CREATE UNIQUE INDEX "procedure_code_catalogue_version" ON "procedure" ("code", "catalogue_version")""",
    """CREATE TABLE "requirement" ("id" INTEGER NOT NULL PRIMARY KEY, "procedure_id" INTEGER NOT NULL, "key" VARCHAR(255) NOT NULL, "position" INTEGER NOT NULL, "name_vi" TEXT NOT NULL, "copies" INTEGER NOT NULL, "original_required" INTEGER NOT NULL, FOREIGN KEY ("procedure_id") REFERENCES "procedure" ("id") ON DELETE CASCADE)""",
    """CREATE INDEX "requirement_procedure_id" ON "requirement" ("procedure_id")""",
    """CREATE INDEX "requirement_key" ON "requirement" ("key")""",
    """CREATE TABLE "holiday" ("day" DATE NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "name_vi" TEXT NOT NULL, "name_en" TEXT, "calendar_version" VARCHAR(255) NOT NULL)""",
    """CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "username" VARCHAR(255) NOT NULL, "full_name" TEXT, "role" VARCHAR(255) NOT NULL, "password_hash" TEXT NOT NULL, "active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL)""",
    """CREATE UNIQUE INDEX "user_username" ON "user" ("username")""",
    """CREATE TABLE "api_token" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER NOT NULL, "token_sha256" VARCHAR(255) NOT NULL, "label" TEXT, "created_at" DATETIME NOT NULL, "revoked" INTEGER NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)""",
    """CREATE INDEX "api_token_user_id" ON "api_token" ("user_id")""",
    """CREATE UNIQUE INDEX "api_token_token_sha256" ON "api_token" ("token_sha256")""",
    """CREATE TABLE "dossier" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "uid" VARCHAR(255) NOT NULL, "code" VARCHAR(255) NOT NULL, "official_code" VARCHAR(255), "lookup_secret" VARCHAR(255) NOT NULL, "origin" VARCHAR(255) NOT NULL, "procedure_code" VARCHAR(255) NOT NULL, "catalogue_version" VARCHAR(255) NOT NULL, "channel" INTEGER NOT NULL, "status" INTEGER NOT NULL, "applicant" TEXT NOT NULL, "owner" TEXT, "applicant_id_number" VARCHAR(255) NOT NULL, "search_text" TEXT NOT NULL, "received_at" DATETIME NOT NULL, "due_at" DATETIME NOT NULL, "paused_at" DATETIME, "supplement_count" INTEGER NOT NULL, "finished_at" DATETIME, "returned_at" DATETIME, "returned_to" TEXT, "fee_vnd" INTEGER, "fee_paid" INTEGER NOT NULL, "fee_receipt_no" VARCHAR(255), "book_volume" VARCHAR(255) NOT NULL, "book_number" INTEGER NOT NULL, "notes" TEXT, "rating" VARCHAR(255), "last_reason" TEXT, "received_by" VARCHAR(255) NOT NULL, "updated_hlc" VARCHAR(255) NOT NULL)""",
    """CREATE UNIQUE INDEX "dossier_uid" ON "dossier" ("uid")""",
    """CREATE UNIQUE INDEX "dossier_code" ON "dossier" ("code")""",
    """CREATE UNIQUE INDEX "dossier_official_code" ON "dossier" ("official_code")""",
    """CREATE INDEX "dossier_procedure_code" ON "dossier" ("procedure_code")""",
    """CREATE INDEX "dossier_status" ON "dossier" ("status")""",
    """CREATE INDEX "dossier_applicant_id_number" ON "dossier" ("applicant_id_number")""",
    """CREATE INDEX "dossier_received_at" ON "dossier" ("received_at")""",
    """CREATE INDEX "dossier_due_at" ON "dossier" ("due_at")""",
    """CREATE TABLE "blob" ("sha256" VARCHAR(255) NOT NULL PRIMARY KEY, "size" INTEGER NOT NULL, "mime" VARCHAR(255) NOT NULL, "created_at" DATETIME NOT NULL, "at_center" INTEGER NOT NULL)""",
    """CREATE TABLE "attachment" ("id" INTEGER NOT NULL PRIMARY KEY, "dossier_id" INTEGER NOT NULL, "requirement_key" VARCHAR(255), "sha256" VARCHAR(255) NOT NULL, "filename" TEXT, "added_at" DATETIME NOT NULL, "added_by" VARCHAR(255) NOT NULL, "removed_at" DATETIME, FOREIGN KEY ("dossier_id") REFERENCES "dossier" ("id") ON DELETE CASCADE, FOREIGN KEY ("sha256") REFERENCES "blob" ("sha256"))""",
    """CREATE INDEX "attachment_dossier_id" ON "attachment" ("dossier_id")""",
    """CREATE INDEX "attachment_sha256" ON "attachment" ("sha256")""",
    """CREATE TABLE "event" ("seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "event_id" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "dossier_uid" VARCHAR(255), "origin" VARCHAR(255) NOT NULL, "actor" VARCHAR(255) NOT NULL, "hlc" VARCHAR(255) NOT NULL, "payload" TEXT NOT NULL, "recorded_at" DATETIME NOT NULL, "acked_at" DATETIME)""",
    """CREATE UNIQUE INDEX "event_event_id" ON "event" ("event_id")""",
    """CREATE INDEX "event_dossier_uid" ON "event" ("dossier_uid")""",
    """CREATE INDEX "event_hlc" ON "event" ("hlc")""",
    """CREATE INDEX "event_acked_at" ON "event" ("acked_at")""",
]


def _v2_search_index(database) -> None:
    """Full-text index over each dossier's accent-folded search text, filled from existing rows."""
    database.execute_sql(
        "CREATE VIRTUAL TABLE dossier_fts USING fts5(search_text, content='dossier', "
        "content_rowid='id', tokenize='unicode61')")
    database.execute_sql("INSERT INTO dossier_fts(dossier_fts) VALUES ('rebuild')")
    # Triggers keep the index true whatever code writes the table.
    database.execute_sql(
        "CREATE TRIGGER dossier_ai AFTER INSERT ON dossier BEGIN "
        "INSERT INTO dossier_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
    database.execute_sql(
        "CREATE TRIGGER dossier_ad AFTER DELETE ON dossier BEGIN "
        "INSERT INTO dossier_fts(dossier_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END")
    database.execute_sql(
        "CREATE TRIGGER dossier_au AFTER UPDATE OF search_text ON dossier BEGIN "
        "INSERT INTO dossier_fts(dossier_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO dossier_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
    # The outbox walks unacknowledged events in order.
    database.execute_sql('CREATE INDEX event_outbox ON event (acked_at, seq)')


V3_SCAN_RETENTION = [
    # Decree 13/2023: a point may drop its copy of a scan once the center holds it and the dossier
    # is closed; the row stays (history, hash) and says when the file went.
    'ALTER TABLE "blob" ADD COLUMN "purged_at" DATETIME',
]

V4_CONFLICTS = [
    # Conflicts the merge raised on this point (same ids as at the center), for the clerk's review.
    'CREATE TABLE "conflict" ("conflict_id" VARCHAR(64) NOT NULL PRIMARY KEY, '
    '"kind" VARCHAR(40) NOT NULL, "dossier_uid" VARCHAR(64), "is_open" INTEGER NOT NULL, '
    '"detail" TEXT NOT NULL, "first_seen" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL)',
    'CREATE INDEX "conflict_dossier_uid" ON "conflict" ("dossier_uid")',
    'CREATE INDEX "conflict_is_open" ON "conflict" ("is_open")',
]

V5_SESSIONS_AND_THROTTLES = [
    # Server-side sessions (logout, a new password or a disabled account ends them) and the
    # failure counters of logins and public lookups (kept across restarts and floods).
    'CREATE TABLE "user_session" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER NOT NULL, '
    '"sid_sha256" VARCHAR(255) NOT NULL, "created_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "user_session_sid_sha256" ON "user_session" ("sid_sha256")',
    'CREATE INDEX "user_session_user_id" ON "user_session" ("user_id")',
    'CREATE TABLE "throttle" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "failures" INTEGER NOT NULL, '
    '"updated_at" DATETIME NOT NULL, "locked_until" DATETIME)',
    'CREATE INDEX "throttle_updated_at" ON "throttle" ("updated_at")',
]

V6_QUEUE = [
    # The queue at the desk: tickets taken at the kiosk, each call the display announces, and the
    # dossiers taken from a ticket with their waiting and service times (local tables).
    'CREATE TABLE "ticket" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(255) NOT NULL, '
    '"day" DATE NOT NULL, "group" VARCHAR(255) NOT NULL, "number" INTEGER NOT NULL, '
    '"secret" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "issued_at" DATETIME NOT NULL, '
    '"called_at" DATETIME, "desk" INTEGER, "called_by" VARCHAR(255), "finished_at" DATETIME)',
    'CREATE UNIQUE INDEX "ticket_uid" ON "ticket" ("uid")',
    'CREATE INDEX "ticket_status" ON "ticket" ("status")',
    'CREATE UNIQUE INDEX "ticket_day_group_number" ON "ticket" ("day", "group", "number")',
    'CREATE TABLE "queue_call" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, '
    '"desk" INTEGER NOT NULL, "at" DATETIME NOT NULL, '
    'FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "queue_call_ticket_id" ON "queue_call" ("ticket_id")',
    'CREATE TABLE "queue_link" ("dossier_code" VARCHAR(255) NOT NULL PRIMARY KEY, '
    '"ticket_id" INTEGER NOT NULL, "desk" INTEGER NOT NULL, "wait_seconds" INTEGER NOT NULL, '
    '"service_seconds" INTEGER NOT NULL, '
    'FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "queue_link_ticket_id" ON "queue_link" ("ticket_id")',
]


def _v7_original_due_and_search(database) -> None:
    """An apology (Form 04) moves the due date once; statistics judge against the one it replaced.
    And search holds whole codes and the lookup secret: old rows' search text is brought up to date
    (the index follows through its trigger)."""
    import json

    from sync.folding import node_search_text, row_search_text
    database.execute_sql('ALTER TABLE "dossier" ADD COLUMN "original_due_at" DATETIME')
    rows = database.execute_sql('SELECT id, code, official_code, applicant, owner, lookup_secret '
                                'FROM dossier').fetchall()
    for rid, code, official, applicant, owner, secret in rows:
        text = row_search_text({"code": code, "official_code": official,
                                "applicant": json.loads(applicant) if applicant else {},
                                "owner": json.loads(owner) if owner else {}})
        database.execute_sql('UPDATE dossier SET search_text = ? WHERE id = ?',
                             (node_search_text(text, secret), rid))


V8_FEES = [
    # Fees as the law has them: a catalogue rule by kind (per dossier, per page with tiers, per
    # copy), and the council's fees (the catalogue's null) versioned by effective date.
    'ALTER TABLE "procedure" ADD COLUMN "fee_rule" TEXT',
    'CREATE TABLE "council_fee" ("id" INTEGER NOT NULL PRIMARY KEY, "procedure_code" VARCHAR(255) '
    'NOT NULL, "effective_from" DATE NOT NULL, "rule" TEXT NOT NULL, "source" TEXT, '
    '"set_by" VARCHAR(255) NOT NULL, "set_at" DATETIME NOT NULL)',
    'CREATE INDEX "council_fee_procedure_code" ON "council_fee" ("procedure_code")',
]

# Issue #12: every date-time column holds an instant in UTC (`motcua.dbfields.InstantField`); the
# naive legal wall times written before are rewritten in place. Legal dates (DATE columns) stay.
V9_INSTANTS = [
    ("user", "created_at"), ("api_token", "created_at"), ("user_session", "created_at"),
    ("throttle", "updated_at"), ("throttle", "locked_until"),
    ("conflict", "first_seen"), ("conflict", "updated_at"),
    ("dossier", "received_at"), ("dossier", "due_at"), ("dossier", "paused_at"),
    ("dossier", "original_due_at"), ("dossier", "finished_at"), ("dossier", "returned_at"),
    ("blob", "created_at"), ("blob", "purged_at"),
    ("attachment", "added_at"), ("attachment", "removed_at"),
    ("event", "recorded_at"), ("event", "acked_at"),
    ("ticket", "issued_at"), ("ticket", "called_at"), ("ticket", "finished_at"),
    ("queue_call", "at"), ("council_fee", "set_at"),
]

MIGRATIONS = [V1_CORE_TABLES, _v2_search_index, V3_SCAN_RETENTION, V4_CONFLICTS,
              V5_SESSIONS_AND_THROTTLES, V6_QUEUE, _v7_original_due_and_search, V8_FEES,
              instants_to_utc(V9_INSTANTS)]
NODE = Migrations("node", MIGRATIONS, UserVersion(), lock_key=7024_0002)
LATEST, migrate, schema_version = NODE.latest, NODE.migrate, NODE.schema_version
