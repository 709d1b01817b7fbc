"""All the center's tables, in one place.

`Event` is the union journal of every point and of the center itself; `Dossier` and `Attachment` are
the state folded from it (rebuildable at any time); `Outbound` says which journal events still have to
go down to which point. Everything else is bookkeeping for points, people and parcels.
"""
from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from central.db import db
from motcua.dbfields import JSONField


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class State(BaseModel):
    """Small key/value facts about the center: its HLC, its schema version."""
    key = CharField(primary_key=True)
    value = TextField()


class Point(BaseModel):
    """An enrolled reception point (node); `unit_code` is what its events call their origin."""
    id = AutoField()
    unit_code = CharField(unique=True)
    name = TextField()
    sign_pub = TextField(null=True)          # base64 Ed25519 public key, pinned at enrollment
    enc_pub = TextField(null=True)           # base64 X25519 public key
    key_status = CharField(default="active")     # active | revoked
    enrolled_at = DateTimeField(null=True)
    last_contact = DateTimeField(null=True)
    last_seq_in = BigIntegerField(default=0)     # last parcel sequence applied from this point
    last_hash_in = CharField(null=True)          # that parcel's hash (the chain)
    next_seq_out = BigIntegerField(default=1)    # sequence of the next parcel we send it
    clock_skew_ms = BigIntegerField(null=True)   # apparent: its clock minus ours, at last contact
    backlog_reported = IntegerField(null=True)   # what it said was still waiting to go up
    refused_count = IntegerField(default=0)
    # Key rotation (central.rotation): the keys replaced last, accepted until `prev_until`.
    prev_sign_pub = TextField(null=True)
    prev_enc_pub = TextField(null=True)
    prev_until = DateTimeField(null=True)
    rotated_at = DateTimeField(null=True)


class EnrollToken(BaseModel):
    id = AutoField()
    token_sha256 = CharField(unique=True)    # only the digest: the token itself is shown once
    unit_code = CharField()
    name = TextField()
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class User(BaseModel):
    id = AutoField()
    username = CharField(unique=True)
    full_name = TextField(null=True)
    role = CharField()                       # officer | leader | admin
    password_hash = TextField()
    active = BooleanField(default=True)
    created_at = DateTimeField()


class ApiToken(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    token_sha256 = CharField(unique=True)
    label = TextField(null=True)
    created_at = DateTimeField()
    revoked = BooleanField(default=False)



class UserSession(BaseModel):
    """A logged-in browser. The cookie carries a random id and only its digest is kept here;
    deleting the row (logout, new password, account disabled) ends the session for good."""
    id = AutoField()
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    sid_sha256 = CharField(unique=True)
    created_at = DateTimeField()


class Throttle(BaseModel):
    """Recent failures under one key (`login:<username>`, `lookup:<dossier code>`), kept in the
    database so that neither a restart nor a flood of other keys forgets them."""
    key = CharField(primary_key=True)
    failures = IntegerField()
    updated_at = DateTimeField(index=True)
    locked_until = DateTimeField(null=True)

class Dossier(BaseModel):
    """A dossier as folded from the union journal; rewritten whenever one of its events arrives."""
    id = AutoField()
    uid = CharField(unique=True)
    code = CharField(index=True)
    official_code = CharField(null=True, unique=True)
    origin = CharField(index=True)           # unit code of the point that received it
    procedure_code = CharField(index=True)
    catalogue_version = CharField(null=True)
    channel = IntegerField(null=True)
    status = IntegerField(index=True)
    applicant = JSONField()
    owner = JSONField(null=True)
    applicant_id_number = CharField(null=True, index=True)
    received_at = DateTimeField(index=True)
    due_at = DateTimeField(null=True)
    paused_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    returned_at = DateTimeField(null=True)
    returned_to = TextField(null=True)
    supplement_count = IntegerField(default=0)
    rating = CharField(null=True)
    open_conflicts = IntegerField(default=0)
    event_count = IntegerField(default=0)
    updated_hlc = CharField()
    search_text = TextField()                # accent-folded code, names, ID number, phone


class Attachment(BaseModel):
    id = AutoField()
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
    received_at = DateTimeField()


class Event(BaseModel):
    """The union journal: one immutable row per change made anywhere."""
    id = AutoField()
    event_id = CharField(unique=True)
    dossier_uid = CharField(null=True, index=True)
    kind = CharField()
    origin = CharField()
    actor = CharField()
    hlc = CharField(index=True)
    payload = JSONField()
    received_at = DateTimeField()            # center wall clock, for people; order by hlc
    parcel_id = CharField(null=True)         # which parcel brought it (None: written here)


class Outbound(BaseModel):
    """A center-journal event still owed to one point; acked once its receipt is verified."""
    id = AutoField()                         # down-going order
    point = ForeignKeyField(Point, backref="outbound", on_delete="CASCADE")
    event_id = CharField()
    queued_at = DateTimeField()
    acked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("point", "event_id"), True), (("point", "acked_at", "id"), False))


class SeenParcel(BaseModel):
    """A parcel applied once: the same (sender, seq) again returns the same receipt."""
    id = AutoField()
    sender = CharField()
    seq = BigIntegerField()
    sha256 = CharField()
    receipt = BlobField()
    applied_at = DateTimeField()

    class Meta:
        indexes = ((("sender", "seq"), True),)


class Refusal(BaseModel):
    id = AutoField()
    sender = CharField(null=True, index=True)
    reason_code = CharField()
    message = TextField()
    at = DateTimeField()


class ConflictRecord(BaseModel):
    """A conflict the merge raised (or a possible duplicate), named the same on every side."""
    conflict_id = CharField(primary_key=True)
    kind = CharField()
    dossier_uid = CharField(null=True, index=True)
    is_open = BooleanField(index=True)
    detail = JSONField()                     # sync.conflicts.Conflict.to_dict()
    first_seen = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "conflict"


MODELS = [State, Point, EnrollToken, User, ApiToken, UserSession, Throttle, Dossier, Attachment, Blob,
          Event, Outbound, SeenParcel, Refusal, ConflictRecord]
