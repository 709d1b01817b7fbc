"""All the center's tables, in one place.

`Event` is the union journal of every point and of the center itself; `Dossier` and `Attachment` are
the state folded from it (rebuildable at any time); `Outbound` says which journal events still have to
go down to which point. Everything else is bookkeeping for points, people and parcels.
"""
from __future__ import annotations

from peewee import (
    BigAutoField,
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from central.db import db
from motcua.dbfields import InstantField
from motcua.tables import shared_tables

# The tables a node keeps too are declared once (`motcua.tables`) and bound here to the center's
# database; `Dossier` and `Event` add the center's own columns to the shared ones.
(BaseModel, State, User, ApiToken, UserSession, Throttle, ConflictRecord, _SharedDossier,
 _SharedEvent) = shared_tables(db)


class Point(BaseModel):
    """An enrolled reception point (node); `unit_code` is what its events call their origin."""
    id = BigAutoField()
    unit_code = CharField(unique=True)
    name = TextField()
    sign_pub = TextField(null=True)          # base64 Ed25519 public key, pinned at enrollment
    enc_pub = TextField(null=True)           # base64 X25519 public key
    key_status = CharField(default="active")     # active | revoked
    enrolled_at = InstantField(null=True)
    last_contact = InstantField(null=True)
    last_seq_in = BigIntegerField(default=0)     # last parcel sequence applied from this point
    last_hash_in = CharField(null=True)          # that parcel's hash (the chain)
    next_seq_out = BigIntegerField(default=1)    # sequence of the next parcel we send it
    clock_skew_ms = BigIntegerField(null=True)   # apparent: its clock minus ours, at last contact
    backlog_reported = IntegerField(null=True)   # what it said was still waiting to go up
    refused_count = IntegerField(default=0)
    # Key rotation (central.key_rotation): the keys replaced last, accepted until `prev_until`.
    prev_sign_pub = TextField(null=True)
    prev_enc_pub = TextField(null=True)
    prev_until = InstantField(null=True)
    rotated_at = InstantField(null=True)


class EnrollToken(BaseModel):
    id = BigAutoField()
    token_sha256 = CharField(unique=True)    # only the digest: the token itself is shown once
    unit_code = CharField()
    name = TextField()
    created_at = InstantField()
    expires_at = InstantField()
    used_at = InstantField(null=True)


class Dossier(_SharedDossier):
    """A dossier as folded from the union journal; rewritten whenever one of its events arrives."""
    id = BigAutoField()
    code = CharField(index=True)
    origin = CharField(index=True)           # unit code of the point that received it
    catalogue_version = CharField(null=True)
    channel = IntegerField(null=True)
    applicant_id_number = CharField(null=True, index=True)
    due_at = InstantField(null=True)
    open_conflicts = IntegerField(default=0)
    event_count = IntegerField(default=0)
    assignee = CharField(null=True)          # the officer's username (central.desk.assign)
    scan_count = IntegerField(default=0)     # scans of its papers (central.apply.center_columns)

    class Meta:
        indexes = ((("assignee", "status"), False),)


class Attachment(BaseModel):
    id = BigAutoField()
    dossier_uid = CharField(index=True)
    requirement = CharField(null=True)
    sha256 = CharField(index=True)
    size = BigIntegerField(null=True)
    mime = CharField(null=True)
    filename = TextField(null=True)
    present = BooleanField(default=False)    # the blob itself has reached the center

    class Meta:
        indexes = ((("dossier_uid", "requirement", "sha256"), True),)


class Blob(BaseModel):
    """A scan the center holds (content-addressed); the blob transfer writes these."""
    sha256 = CharField(primary_key=True)
    size = BigIntegerField()
    received_at = InstantField()


class Event(_SharedEvent):
    """The union journal: one immutable row per change made anywhere."""
    id = BigAutoField()
    received_at = InstantField()            # center wall clock, for people; order by hlc
    parcel_id = CharField(null=True)         # which parcel brought it (None: written here)


class Outbound(BaseModel):
    """A center-journal event still owed to one point; acked once its receipt is verified."""
    id = BigAutoField()                         # down-going order
    # No index of its own: both indexes below start with it.
    point = ForeignKeyField(Point, backref="outbound", on_delete="CASCADE", index=False)
    event_id = CharField()
    queued_at = InstantField()
    acked_at = InstantField(null=True)

    class Meta:
        indexes = ((("point", "event_id"), True), (("point", "acked_at", "id"), False))


class SeenParcel(BaseModel):
    """A parcel applied once: the same (sender, seq) again returns the same receipt."""
    id = BigAutoField()
    sender = CharField()
    seq = BigIntegerField()
    sha256 = CharField(index=True)           # central.outbound finds receipts by parcel hash
    receipt = BlobField()
    applied_at = InstantField()

    class Meta:
        indexes = ((("sender", "seq"), True),)


class Refusal(BaseModel):
    id = BigAutoField()
    sender = CharField(null=True, index=True)
    reason_code = CharField()
    message = TextField()
    at = InstantField()


class Heartbeat(BaseModel):
    """The latest heartbeat of each point (`central.heartbeats`): what it said about itself."""
    unit_code = CharField(primary_key=True)
    received_at = InstantField()
    via = CharField()                        # http | usb
    sent_at = InstantField()                # the point's clock, legal time
    version = CharField()
    backlog_events = BigIntegerField()
    backlog_scans = BigIntegerField()
    backlog_bytes = BigIntegerField()
    oldest_waiting = InstantField(null=True)
    disk_free_bytes = BigIntegerField()
    last_backup_at = InstantField(null=True)
    body = TextField()                       # the whole checked body, JSON

    class Meta:
        table_name = "point_heartbeat"


class DossierTally(BaseModel):
    """The dashboard's summary (`central.summary`): dossiers counted per grain and period, kept
    by the one apply path in the dossier's own transaction; never a source of truth (rebuilt from
    the dossier rows by `central summary rebuild`, checked by `central verify`). Key columns hold
    "" or 0 where a grain has no such key, so the unique key is NOT NULL on both databases."""
    id = BigAutoField()
    grain = CharField()                      # point | state | procedure | finished | rating | fee
    period = CharField()                     # "YYYY-MM" (the fee grain: "YYYY-MM-DD")
    origin = CharField()
    procedure_code = CharField()
    status = IntegerField()
    channel = IntegerField()                 # -1: none recorded
    verdict = CharField()                    # early | on_time | late | ""
    rating = CharField()
    fee = CharField()                        # collected|stage|method, unpaid, waived, unset
    n = BigIntegerField()                    # dossiers
    scanned = BigIntegerField()              # of them with a scan of their papers
    receipts = BigIntegerField()             # fees collected with a receipt number
    vnd = BigIntegerField()                  # fee amounts
    seconds = DoubleField()                   # handling time, received → result

    class Meta:
        table_name = "dossier_tally"
        indexes = ((("grain", "period", "origin", "procedure_code", "status", "channel", "verdict",
                     "rating", "fee"), True),)


class Upload(BaseModel):
    """A point's resumable upload (`central.uploads`): what it declared, the exact byte it stands
    at, its receipt once ingested. In the database, not in one process, so any center process
    behind the load balancer can take the next chunk; the bytes are objects in the store."""
    id = BigAutoField()
    owner = CharField()
    upload_id = CharField()
    length = BigIntegerField()
    piece_bytes = IntegerField()
    pieces = TextField()                     # JSON list of the signed SHA-256 of each piece
    received = BigIntegerField(default=0)
    created_at = InstantField()
    touched_at = InstantField(index=True)
    receipt = BlobField(null=True)

    class Meta:
        table_name = "upload"
        indexes = ((("owner", "upload_id"), True),)


MODELS = [State, Point, EnrollToken, User, ApiToken, UserSession, Throttle, Dossier, Attachment, Blob,
          Event, Outbound, SeenParcel, Refusal, ConflictRecord, Heartbeat, DossierTally, Upload]
