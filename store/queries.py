"""Reading calls the way the API, the pages and the CSV export filter them, and the limits of the text fields
a caller may send (each one's column)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from analysis.names import Result
from store.db import VERDICT_COLUMNS, VERDICTS, Call, as_utc

__all__ = ["FIELD_LIMITS", "FILTER_PARAMS", "FilterError", "calls_query", "field_problem", "when", "within"]


class FilterError(ValueError):
    """A call-list filter that cannot be read: ``code`` and ``message`` as the API reports them."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def when(name: str, value: str) -> datetime:
    """An ISO 8601 date or time from a filter; without an offset it is UTC."""
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise FilterError("bad_date", f"{name} must be an ISO 8601 date or time") from None


#: The query parameters that filter the calls list, and what each takes (the API, the calls page, CSV
#: export and the OpenAPI description all read this).
FILTER_PARAMS = {
    "agent_id": "Only this agent's calls.",
    "status": "queued, processing, done or failed.",
    "from": "Created at or after this ISO 8601 date or time; without an offset it is UTC.",
    "to": "Created at or before this ISO 8601 time; a bare date includes that whole day (UTC).",
    "verdict": "<name>:<passed|failed|not_applicable>, e.g. stayed_calm:failed.",
}


def within(query, column, date_from: str | None, date_to: str | None):
    """``query`` limited to ``column`` at or after ``date_from`` and at or before ``date_to`` (ISO 8601; a bare
    date ``to`` includes that whole day, UTC).

    Raises:
        FilterError: A date that cannot be read.
    """
    if date_from:
        query = query.where(column >= when("from", date_from))
    if date_to:
        end = when("to", date_to)
        if len(date_to) == 10:  # a bare date: up to the end of that day
            query = query.where(column < end + timedelta(days=1))
        else:
            query = query.where(column <= end)
    return query


def calls_query(
    team_id: int,
    *,
    agent_id: str | None = None,
    status: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    verdict: str | None = None,
):
    """A team's calls, newest first, filtered as ``GET /v1/calls`` and the calls page filter them.

    Args:
        team_id: The team whose calls these are (the key's team).
        agent_id: Only this agent's calls.
        status: Only calls with this status.
        date_from: ISO 8601 date or time; calls created at or after it.
        date_to: ISO 8601 date or time; calls created at or before it. A bare
            date (``2026-11-24``) includes that whole day.
        verdict: ``<verdict name>:<passed|failed|not_applicable>``.

    Raises:
        FilterError: A date or verdict that cannot be read.
    """
    query = select(Call).where(Call.team_id == team_id).order_by(Call.created_at.desc(), Call.id.desc())
    if agent_id:
        query = query.where(Call.agent_id == agent_id)
    if status:
        query = query.where(Call.status == status)
    query = within(query, Call.created_at, date_from, date_to)
    if verdict:
        name, _, result = verdict.partition(":")
        if name not in VERDICTS or result not in tuple(Result):
            raise FilterError("bad_verdict", "verdict must be <name>:<passed|failed|not_applicable>")
        query = query.where(getattr(Call, VERDICT_COLUMNS[name]) == result)
    return query


#: Characters a caller may send in each text field: its column's length, which PostgreSQL enforces and
#: SQLite does not. A URL's column has no limit; 2048 characters is the sitemaps protocol's URL limit,
#: which every common browser and proxy carries.
FIELD_LIMITS: dict[str, int] = {
    "external_id": Call.__table__.c.external_id.type.length,
    "idempotency_key": Call.__table__.c.idempotency_key.type.length,
    "agent_id": Call.__table__.c.agent_id.type.length,
    "customer_ref": Call.__table__.c.customer_ref.type.length,
    "language": Call.__table__.c.language.type.length,
    "callback_url": 2048,
    "recording_url": 2048,
}


def field_problem(name: str, value: str) -> str:
    """Why ``value`` cannot be stored in field ``name`` ("" when it can): too long, or a control character
    (PostgreSQL refuses NUL in text; the others break logs and CSV exports)."""
    limit = FIELD_LIMITS[name]
    if len(value) > limit:
        return f"{name} is at most {limit} characters (this one has {len(value)})"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return f"{name} must not contain control characters"
    return ""
