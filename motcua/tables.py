"""The tables both sides keep, declared once and bound to each app's own database.

A node and a center each have a `state`, `user`, `api_token`, `user_session`, `throttle` and
`conflict` table with the same columns, and a `dossier` and an `event` table that share most of
theirs. `shared_tables(db)` declares those once over one app's `DatabaseProxy`: each app gets its own
classes (a test process hosts a node and a center at once, so one class bound to two databases would
not do), and each side subclasses `Dossier` and `Event` to add only its local columns.

`node.models` and `central.models` re-export the result, so `node.models.User` and
`central.models.User` stay where they always were. The migrations (`node.migrations`,
`central.migrations`) must produce exactly what is declared here: `tests/test_schema.py` compares
the two on SQLite and PostgreSQL.
"""
from __future__ import annotations

from typing import NamedTuple

from peewee import (
    BigAutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from motcua.dbfields import InstantField, JSONField


class SharedTables(NamedTuple):
    """One app's classes for the shared tables; `Dossier` and `Event` are bases, not tables."""
    Base: type[Model]
    State: type[Model]
    User: type[Model]
    ApiToken: type[Model]
    UserSession: type[Model]
    Throttle: type[Model]
    ConflictRecord: type[Model]
    Dossier: type[Model]
    Event: type[Model]


def shared_tables(database: DatabaseProxy) -> SharedTables:
    """Declare the shared tables over `database` (one app's proxy); call once per app."""

    class Base(Model):
        class Meta:
            legacy_table_names = False

    Base._meta.set_database(database)

    class State(Base):
        """Small key/value facts about this side: unit code and name, the HLC, counters."""
        key = CharField(primary_key=True)
        value = TextField()

    class User(Base):
        # Keys are BIGINT where the database has the choice (the center's PostgreSQL), INTEGER on
        # SQLite, where both are the same 64-bit rowid.
        id = BigAutoField()
        username = CharField(unique=True)
        full_name = TextField(null=True)
        role = CharField()                   # node: clerk | admin; center: officer | leader | admin
        password_hash = TextField()
        active = BooleanField(default=True)
        created_at = InstantField()

    class ApiToken(Base):
        id = BigAutoField()
        user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
        token_sha256 = CharField(unique=True)
        label = TextField(null=True)
        created_at = InstantField()
        revoked = BooleanField(default=False)

    class UserSession(Base):
        """A logged-in browser. The cookie carries a random id and only its digest is kept here;
        deleting the row (logout, new password, account disabled) ends the session for good."""
        id = BigAutoField()
        user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
        sid_sha256 = CharField(unique=True)
        created_at = InstantField()

    class Throttle(Base):
        """Recent failures under one key (`login:<username>`, `lookup:<dossier code>`), kept in the
        database so that neither a restart nor a flood of other keys forgets them."""
        key = CharField(primary_key=True)
        failures = IntegerField()
        updated_at = InstantField(index=True)
        locked_until = InstantField(null=True)

    class ConflictRecord(Base):
        """A conflict the merge raised (or, at the center, a possible duplicate), named the same
        on every side (`sync.conflict_rules`)."""
        conflict_id = CharField(primary_key=True)
        kind = CharField()
        dossier_uid = CharField(null=True, index=True)
        is_open = BooleanField(index=True)
        detail = JSONField()                 # sync.conflict_rules.Conflict.to_dict()
        first_seen = InstantField()
        updated_at = InstantField()

        class Meta:
            table_name = "conflict"

    class Dossier(Base):
        """The columns of a dossier row both sides fold the same way (`sync.folding`)."""
        uid = CharField(unique=True)         # global id, what events name
        official_code = CharField(null=True, unique=True)   # attached by the center
        procedure_code = CharField(index=True)
        status = IntegerField(index=True)
        applicant = JSONField()              # full_name, id_number, date_of_birth, phone, address…
        owner = JSONField(null=True)
        received_at = InstantField(index=True)
        paused_at = InstantField(null=True)     # supplement or payment awaited: clock stopped since
        original_due_at = InstantField(null=True)   # Form 04: the due date before the apology
        finished_at = InstantField(null=True)
        returned_at = InstantField(null=True)
        returned_to = TextField(null=True)
        supplement_count = IntegerField(default=0)
        rating = CharField(null=True)
        updated_hlc = CharField()
        search_text = TextField()            # accent-folded code, names, ID number, phone

    class Event(Base):
        """A journal row as both sides keep it: one immutable row per change."""
        event_id = CharField(unique=True)
        kind = CharField()
        dossier_uid = CharField(null=True, index=True)
        origin = CharField()
        actor = CharField()
        hlc = CharField(index=True)          # order by this, never by a wall clock
        payload = JSONField()

    return SharedTables(Base, State, User, ApiToken, UserSession, Throttle, ConflictRecord,
                        Dossier, Event)
