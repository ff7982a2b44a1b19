"""Retention: each team's finished calls lose their recording after ``audio_retention_days``, and their
report and record after ``report_retention_days`` (:class:`store.db.Team`; None keeps them until deleted).

Age is counted from when the call was received (``created_at``). Only finished calls (``done`` or
``failed``) are purged: a call still queued or being analysed is left to finish, and purged at the next
run after that. Deleting a call takes its audio, its row (with the report) and its queued jobs; deleting a
recording keeps the report and the row, whose ``audio_key`` is cleared (the audio route then answers 404
``audio_not_found``). Each deletion leaves an audit row (action ``purge``, detail ``audio`` or ``call``,
client ``purge``), so that what was deleted, and when, stays on record without the content.

Run by ``callscope purge`` (cron, or docker compose's ``purge`` service) and by ``callscope serve``'s
sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from store.audit import Action, record
from store.db import FINISHED, Call, Database, Team, utcnow
from store.queue import cancel_jobs

__all__ = ["Purged", "delete_calls", "purge_expired"]


@dataclass(frozen=True)
class Purged:
    """What one purge deleted: call ids whose recording went, and call ids deleted entirely."""

    audio: tuple[str, ...]
    calls: tuple[str, ...]


def delete_calls(db: Database, storage, redis, calls: list[Call], audit_fields: dict) -> list[str]:
    """Delete these calls entirely (audio, row with the report, queued jobs), one audit row each
    (``audit_fields``: action, key_id, client, detail). Returns their ids."""
    action = audit_fields.pop("action")
    done = []
    for call in calls:
        with db.session.begin() as s:
            row = s.get(Call, call.id)
            if row is None:  # deleted meanwhile
                continue
            keys = [k for k in (row.audio_key, row.original_audio_key) if k]
            s.delete(row)
            record(s, action, team_id=row.team_id, call_id=row.id, **audit_fields)
        for key in keys:
            storage.delete(key)
        cancel_jobs(redis, call.id)
        done.append(call.id)
    return done


def purge_expired(db: Database, storage, redis=None, now: datetime | None = None) -> Purged:
    """Delete what is past each team's retention at ``now`` (default: now, UTC)."""
    now = now or utcnow()
    audio, calls = [], []
    with db.session() as s:
        teams = s.scalars(select(Team)).all()
    for team in teams:
        if team.report_retention_days is not None:
            cutoff = now - timedelta(days=team.report_retention_days)
            with db.session() as s:
                expired = s.scalars(
                    select(Call).where(Call.team_id == team.id, Call.status.in_(FINISHED), Call.created_at < cutoff)
                ).all()
            fields = {"action": Action.PURGE, "client": "purge", "detail": "call"}
            calls += delete_calls(db, storage, redis, list(expired), fields)
        if team.audio_retention_days is not None:
            cutoff = now - timedelta(days=team.audio_retention_days)
            with db.session() as s:
                expired = s.scalars(
                    select(Call).where(
                        Call.team_id == team.id,
                        Call.status.in_(FINISHED),
                        Call.created_at < cutoff,
                        Call.audio_key.is_not(None),
                    )
                ).all()
            for call in expired:
                for key in (call.audio_key, call.original_audio_key):  # first: a failure after leaves nothing kept
                    if key:
                        storage.delete(key)
                with db.session.begin() as s:
                    row = s.get(Call, call.id)
                    if row is None:
                        continue
                    row.audio_key = row.original_audio_key = None
                    record(s, Action.PURGE, team_id=team.id, call_id=row.id, client="purge", detail="audio")
                audio.append(call.id)
    return Purged(audio=tuple(audio), calls=tuple(calls))
