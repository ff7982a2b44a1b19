"""The audit trail: an append-only table of who did what to which call, and when (:class:`store.db.AuditEvent`).

Each action below leaves exactly one row, written in the same transaction as the action where the action
writes (an upload, a delete, a key made or revoked), or just after it where it only reads (a report viewed,
audio played, a CSV exported). A row names the key, its team, the call, the client's address and, for a
few actions, a short note (the scopes of a new key, the filters of an export, how many calls a purge took).
No audio and no transcript text is ever written to it. Rows are never changed or deleted: the ORM refuses
(:func:`store.db._append_only`), and no route or command offers it.

Audio playback is counted once per play: a request from the start of the file (no ``Range``, or one from
byte 0). The browser's later range requests, as the listener seeks, are parts of the same play.
"""

from __future__ import annotations

from enum import StrEnum

from store.db import AuditEvent

__all__ = ["Action", "record"]


class Action(StrEnum):
    """What an audit row records."""

    UPLOAD = "upload"
    VIEW_REPORT = "view_report"
    PLAY_AUDIO = "play_audio"
    EXPORT_CSV = "export_csv"
    DELETE = "delete"
    KEY_CREATED = "key_created"
    KEY_REVOKED = "key_revoked"
    PURGE = "purge"


def record(
    session,
    action: Action,
    *,
    team_id: int,
    key_id: int | None = None,
    call_id: str | None = None,
    client: str | None = None,
    detail: str | None = None,
) -> None:
    """Add one audit row to ``session`` (committed with it)."""
    session.add(
        AuditEvent(
            action=action.value,
            team_id=team_id,
            key_id=key_id,
            call_id=call_id,
            client=(client or "")[:64] or None,
            detail=(detail or "")[:200] or None,
        )
    )
