"""All the node's tables, in one place.

The `Dossier` row is the current state of a dossier; the `Event` rows are the journal that produced
it and that sync ships. Both are written in the same transaction (see `node.journal`). Local-only
columns (never shipped) are marked so.
"""
from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from motcua.dbfields import JSONField
from node.db import db


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class State(BaseModel):
    """Small key/value facts about this node: its unit code and name, the HLC, counters."""
    key = CharField(primary_key=True)
    value = TextField()


class Procedure(BaseModel):
    id = AutoField()
    code = CharField(index=True)
    catalogue_version = CharField()
    effective_from = DateField()
    name_vi = TextField()
    name_en = TextField(null=True)
    level = CharField(null=True)
    processing_days = IntegerField()
    fee_vnd = IntegerField(null=True)        # None: set by the provincial council, unknown here
    source = TextField(null=True)
    confidence = TextField(null=True)
    search_text = TextField()                # accent-folded code + name, for typing without accents

    class Meta:
        indexes = ((("code", "catalogue_version"), True),)


class Requirement(BaseModel):
    """One required document of a procedure; `key` is the stable id the API calls `id`."""
    id = AutoField()
    procedure = ForeignKeyField(Procedure, backref="requirements", on_delete="CASCADE")
    key = CharField(index=True)
    position = IntegerField()
    name_vi = TextField()
    copies = IntegerField()
    original_required = BooleanField()


class Holiday(BaseModel):
    day = DateField(primary_key=True)
    kind = CharField()                       # holiday | in_lieu | working_saturday | day_off
    name_vi = TextField()
    name_en = TextField(null=True)
    calendar_version = CharField()


class User(BaseModel):
    id = AutoField()
    username = CharField(unique=True)
    full_name = TextField(null=True)
    role = CharField()                       # clerk | admin
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
    id = AutoField()                         # local rowid (also the search index's rowid); local only
    uid = CharField(unique=True)             # global id, what events name
    code = CharField(unique=True)            # <unit>-<YYMMDD>-<NNNN>, issued offline
    official_code = CharField(null=True, unique=True)   # attached later by the center
    lookup_secret = CharField()
    origin = CharField()                     # unit code of the point that received it
    procedure_code = CharField(index=True)
    catalogue_version = CharField()
    channel = IntegerField()                 # 1 desk, 2 online, 3 post
    status = IntegerField(index=True)
    applicant = JSONField()                  # full_name, id_number, date_of_birth, phone, address, email
    owner = JSONField(null=True)
    applicant_id_number = CharField(index=True)
    search_text = TextField()
    received_at = DateTimeField(index=True)
    due_at = DateTimeField(index=True)
    paused_at = DateTimeField(null=True)     # supplement requested: clock stopped since
    supplement_count = IntegerField(default=0)
    finished_at = DateTimeField(null=True)
    returned_at = DateTimeField(null=True)
    returned_to = TextField(null=True)
    fee_vnd = IntegerField(null=True)
    fee_paid = BooleanField(default=False)
    fee_receipt_no = CharField(null=True)
    book_volume = CharField()
    book_number = IntegerField()
    notes = TextField(null=True)
    rating = CharField(null=True)
    last_reason = TextField(null=True)       # what the latest supplement/refusal/withdrawal said
    received_by = CharField()
    updated_hlc = CharField()


class Blob(BaseModel):
    """A scanned file on disk, content-addressed; `at_center` once the center confirmed it."""
    sha256 = CharField(primary_key=True)
    size = IntegerField()
    mime = CharField()
    created_at = DateTimeField()
    at_center = BooleanField(default=False)  # local only
    purged_at = DateTimeField(null=True)     # local only: file removed under the retention rule


class Attachment(BaseModel):
    id = AutoField()
    dossier = ForeignKeyField(Dossier, backref="attachments", on_delete="CASCADE")
    requirement_key = CharField(null=True)
    blob = ForeignKeyField(Blob, backref="attachments", column_name="sha256")
    filename = TextField(null=True)
    added_at = DateTimeField()
    added_by = CharField()
    removed_at = DateTimeField(null=True)


class Event(BaseModel):
    """The journal: one immutable row per change, shipped to the center in order of `seq`."""
    seq = AutoField()                        # local order of writing; the outbox walks it
    event_id = CharField(unique=True)
    kind = CharField()
    dossier_uid = CharField(null=True, index=True)
    origin = CharField()
    actor = CharField()
    hlc = CharField(index=True)
    payload = JSONField()
    recorded_at = DateTimeField()            # local wall clock, for people; order by hlc, not this
    acked_at = DateTimeField(null=True, index=True)   # local only: when a signed receipt covered it


class ConflictRecord(BaseModel):
    """A conflict the merge raised for a dossier here, named as at the center (`sync.conflicts`)."""
    conflict_id = CharField(primary_key=True)
    kind = CharField()
    dossier_uid = CharField(null=True, index=True)
    is_open = BooleanField(index=True)
    detail = JSONField()                     # sync.conflicts.Conflict.to_dict()
    first_seen = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "conflict"


MODELS = [State, Procedure, Requirement, Holiday, User, ApiToken, UserSession, Throttle, Dossier, Blob,
          Attachment, Event, ConflictRecord]
