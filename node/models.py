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
    ForeignKeyField,
    IntegerField,
    TextField,
)

from motcua.dbfields import InstantField, JSONField
from motcua.tables import shared_tables
from node.db import db

# The tables a center keeps too are declared once (`motcua.tables`) and bound here to the node's
# database; `Dossier` and `Event` add the node's own columns to the shared ones.
(BaseModel, State, User, ApiToken, UserSession, Throttle, ConflictRecord, _SharedDossier,
 _SharedEvent) = shared_tables(db)


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
    fee_rule = JSONField(null=True)          # motcua.fees rule by kind (None: fee_vnd per dossier)
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


class Dossier(_SharedDossier):
    """A dossier as the desk keeps it: the folded columns plus the desk's own (book, fee, secret)."""
    id = AutoField()                         # local rowid (also the search index's rowid); local only
    code = CharField(unique=True)            # <unit>-<YYMMDD>-<NNNN>, issued offline
    lookup_secret = CharField()
    origin = CharField()                     # unit code of the point that received it
    catalogue_version = CharField()
    channel = IntegerField()                 # 1 desk, 2 online, 3 post
    applicant_id_number = CharField(index=True)
    due_at = InstantField(index=True)
    fee_vnd = IntegerField(null=True)
    fee_paid = BooleanField(default=False)
    fee_receipt_no = CharField(null=True)
    book_volume = CharField()
    book_number = IntegerField()
    notes = TextField(null=True)
    last_reason = TextField(null=True)       # what the latest supplement/refusal/withdrawal said
    received_by = CharField()


class Blob(BaseModel):
    """A scanned file on disk, content-addressed; `at_center` once the center confirmed it."""
    sha256 = CharField(primary_key=True)
    size = IntegerField()
    mime = CharField()
    created_at = InstantField()
    at_center = BooleanField(default=False)  # local only
    purged_at = InstantField(null=True)     # local only: file removed under the retention rule


class Attachment(BaseModel):
    id = AutoField()
    dossier = ForeignKeyField(Dossier, backref="attachments", on_delete="CASCADE")
    requirement_key = CharField(null=True)
    blob = ForeignKeyField(Blob, backref="attachments", column_name="sha256")
    filename = TextField(null=True)
    added_at = InstantField()
    added_by = CharField()
    removed_at = InstantField(null=True)


class Event(_SharedEvent):
    """The journal: one immutable row per change, shipped to the center in order of `seq`."""
    seq = AutoField()                        # local order of writing; the outbox walks it
    recorded_at = InstantField()            # local wall clock, for people; order by hlc, not this
    acked_at = InstantField(null=True, index=True)   # local only: when a signed receipt covered it

    class Meta:
        indexes = ((("acked_at", "seq"), False),)     # the outbox walks unacknowledged events


class Ticket(BaseModel):
    """A queue ticket taken at the kiosk (local only: it holds no name, and only the link's times
    travel, inside `dossier.received`). Numbers run per group per day, from a counter taken in the
    same transaction as the row, so a crash never repeats one."""
    id = AutoField()
    uid = CharField(unique=True)             # random, in the ticket's QR link
    day = DateField()
    group = CharField()                      # service group code (catalogue.json `queue_groups`)
    number = IntegerField()
    secret = CharField()                     # printed on the ticket: rating by ticket at the kiosk
    status = CharField(index=True)           # waiting | called | done | skipped
    issued_at = InstantField()
    called_at = InstantField(null=True)     # the latest call
    desk = IntegerField(null=True)           # called to, or transferred to (then waiting again)
    called_by = CharField(null=True)
    finished_at = InstantField(null=True)

    class Meta:
        indexes = ((("day", "group", "number"), True),)


class QueueCall(BaseModel):
    """Each call or recall of a ticket to a desk: the display announces every new row once."""
    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="calls", on_delete="CASCADE")
    desk = IntegerField()
    at = InstantField()


class QueueLink(BaseModel):
    """A dossier taken from a called ticket: its wait (ticket → call) and service (call → receipt)."""
    dossier_code = CharField(primary_key=True)
    ticket = ForeignKeyField(Ticket, backref="links", on_delete="CASCADE")
    desk = IntegerField()
    wait_seconds = IntegerField()
    service_seconds = IntegerField()


class CouncilFee(BaseModel):
    """A fee the provincial council sets (the catalogue's `null`), as a clerk or admin typed it from
    the council's resolution: versioned by effective date, never edited in place."""
    id = AutoField()
    procedure_code = CharField(index=True)
    effective_from = DateField()
    rule = JSONField()                       # a motcua.fees rule
    source = TextField(null=True)            # the resolution's number, e.g. "NQ 15/2025/NQ-HĐND"
    set_by = CharField()
    set_at = InstantField()


MODELS = [State, Procedure, Requirement, Holiday, User, ApiToken, UserSession, Throttle, Dossier,
          Blob, Attachment, Event, ConflictRecord, Ticket, QueueCall, QueueLink, CouncilFee]
