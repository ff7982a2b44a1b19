"""Call records, API keys and reports in SQL tables: the source of truth of the service.

Redis carries only the queue; after a Redis restart ``callscope requeue``
re-enqueues every call that this database says is not finished. SQLite in
the data directory is the default (WAL mode, so the API and workers can
write at once); PostgreSQL is used through ``DATABASE_URL``.

Call ``status``: ``queued`` (accepted, in the queue), ``processing`` (a worker
has it; ``stage`` and ``progress`` say where), ``done`` (the report is
stored), ``failed`` (``error_code`` and ``error`` say why).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    types,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from analysis.names import Result, VerdictName

__all__ = [
    "DEFAULT_TEAM_ID",
    "FINISHED",
    "UNFINISHED",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Call",
    "CallStatus",
    "Database",
    "MetricRow",
    "Scope",
    "Team",
    "hash_key",
    "new_call_id",
    "utcnow",
]


class CallStatus(StrEnum):
    """Where a call is (the module docstring says what each means)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class Scope(StrEnum):
    """What an API key may do. ``admin`` includes the other two.

    * ``ingest``: upload calls (``POST /v1/calls``): for telephony platforms and dialers.
    * ``read``: calls, reports, audio, the CSV, ``/metrics`` and the web pages: for coaches and QA.
    * ``admin``: deleting calls and reading the audit trail, besides ``ingest`` and ``read``.
    """

    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


#: The team that every key and call of a database made before teams belongs to (migration 0003).
DEFAULT_TEAM_ID = 1
DEFAULT_TEAM_NAME = "default"

#: Statuses of a call that a job has yet to finish, and of one that is over.
UNFINISHED = (CallStatus.QUEUED, CallStatus.PROCESSING)
FINISHED = (CallStatus.DONE, CallStatus.FAILED)
#: The report's verdicts, and the column of ``calls`` that keeps each one's result for filtering.
VERDICT_COLUMNS = {
    VerdictName.LISTENED: "verdict_listened",
    VerdictName.CALM: "verdict_calm",
    VerdictName.ACKNOWLEDGED: "verdict_acknowledged",
}
VERDICTS = tuple(VERDICT_COLUMNS)


def _values(enum: type[StrEnum]) -> Enum:
    """A column holding an enum's values as plain text (VARCHAR, no database enum type or constraint), read
    back as members: so the table stays as it was, and no driver is left to decide how to write a member."""
    return Enum(
        enum, native_enum=False, create_constraint=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_call_id() -> str:
    return uuid.uuid4().hex


def hash_key(key: str) -> str:
    """sha256 of an API key: keys are random 256-bit strings, so a fast hash is enough (no salt needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


class UTCDateTime(types.TypeDecorator):
    """A point in time, stored in UTC and always read back timezone-aware (UTC).

    PostgreSQL keeps the offset (``timestamptz``); SQLite has no such type and
    would hand back naive datetimes, which ``isoformat()`` shows without an
    offset and ``timestamp()`` reads as local time. Naive values given to it
    are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON}  # noqa: RUF012


class Team(Base):
    """A group of keys that sees only its own calls: the API, the pages, the CSV, the audio and ``/metrics``."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Days a finished call's recording is kept, and its report and record (None: kept until deleted).
    #: :mod:`store.retention` deletes what is older.
    audio_retention_days: Mapped[int | None] = mapped_column(Integer)
    report_retention_days: Mapped[int | None] = mapped_column(Integer)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Comma-separated :class:`Scope` values; keys made before scopes are ``admin`` (migration 0003).
    scopes: Mapped[str] = mapped_column(String(32), default=Scope.ADMIN.value)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", name="fk_api_keys_team_id"), default=DEFAULT_TEAM_ID)

    def allows(self, scope: Scope) -> bool:
        """The key has ``scope``, or ``admin``."""
        held = set(self.scopes.split(","))
        return scope.value in held or Scope.ADMIN.value in held


class AuditEvent(Base):
    """One row per audited action (:mod:`store.audit`): who did what to which call, when, from where.

    Append-only: the ORM refuses to update or delete a row (:mod:`store.audit`). It holds no audio and
    no transcript text: ``detail`` is a short machine note (a filter, a count), never call content.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    team_id: Mapped[int] = mapped_column(Integer, index=True)
    key_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32), index=True)
    call_id: Mapped[str | None] = mapped_column(String(32), index=True)
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target) -> None:
    raise PermissionError("the audit trail is append-only: its rows are never changed or deleted")


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("key_id", "external_id", name="uq_calls_key_external_id"),
        UniqueConstraint("key_id", "idempotency_key", name="uq_calls_key_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_call_id)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", name="fk_calls_team_id"), index=True, default=DEFAULT_TEAM_ID
    )
    status: Mapped[CallStatus] = mapped_column(_values(CallStatus), default=CallStatus.QUEUED, index=True)
    stage: Mapped[str | None] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(200), index=True)
    #: The caller's reference of the customer (an account or CRM id), for deleting a data subject's calls.
    customer_ref: Mapped[str | None] = mapped_column(String(200), index=True)
    agent_channel: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(16))
    callback_url: Mapped[str | None] = mapped_column(Text)
    #: Webhooks: where the recording is fetched from (by a queued job, workers.fetch).
    recording_url: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(255), default="")
    audio_key: Mapped[str | None] = mapped_column(String(64))
    #: The unredacted recording, kept beside the redacted one only with ``CALLSCOPE_REDACT_KEEP_ORIGINAL=1``;
    #: no route serves it.
    original_audio_key: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    callback_status: Mapped[str | None] = mapped_column(String(16))
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report: Mapped[dict | None] = mapped_column(JSON)
    verdict_listened: Mapped[Result | None] = mapped_column(_values(Result))
    verdict_calm: Mapped[Result | None] = mapped_column(_values(Result))
    verdict_acknowledged: Mapped[Result | None] = mapped_column(_values(Result))

    def summary(self) -> dict:
        """The call as the API shows it (without the report)."""
        return {
            "id": self.id,
            "status": self.status,
            "stage": self.stage,
            "progress": round(100 * (self.progress or 0.0), 1),
            "error": None if self.status != CallStatus.FAILED else {"code": self.error_code, "message": self.error},
            "external_id": self.external_id,
            "agent_id": self.agent_id,
            "customer_ref": self.customer_ref,
            "agent_channel": self.agent_channel,
            "language": self.language,
            "filename": self.filename,
            "size_bytes": self.size_bytes,
            "duration_s": self.duration_s,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "callback": None
            if not self.callback_url
            else {
                "url": self.callback_url,
                "status": self.callback_status or "pending",
                "attempts": self.callback_attempts or 0,
                "error": self.callback_error,
            },
            "verdicts": {name: getattr(self, column) for name, column in VERDICT_COLUMNS.items()},
        }


class MetricRow(Base):
    """One counter, or one histogram bucket, sum or count, of :mod:`store.metrics`: ``value`` only grows."""

    __tablename__ = "metrics"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    value: Mapped[float] = mapped_column(Float, default=0.0)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """An engine and a session factory for one ``DATABASE_URL``.

    An empty database is created at the newest schema revision; one behind it is refused with a message
    to run ``callscope migrate`` (:mod:`store.migrate`).
    """

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        from store.migrate import check

        check(self.engine)
        self.session: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def create_key(self, name: str, scopes: tuple[Scope, ...] = (Scope.ADMIN,), team: str = DEFAULT_TEAM_NAME) -> str:
        """A new API key (:func:`store.keys.create_key`); it is returned once and only its hash is stored."""
        from store.keys import create_key

        return create_key(self, name, scopes, team)

    def key_for(self, key: str) -> ApiKey | None:
        return self.key_by_hash(hash_key(key))

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this sha256, unless it is revoked (the web pages keep only the hash)."""
        with self.session() as s:
            found = s.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
            return None if found is None or found.revoked else found


@lru_cache(maxsize=4)
def database(url: str) -> Database:
    """One :class:`Database` per URL and process (workers reuse it across jobs)."""
    return Database(url)
