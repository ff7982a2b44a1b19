"""The audit trail over HTTP: ``GET /v1/audit``, for admin keys, their own team's rows (:mod:`store.audit`)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from pydantic import ValidationError
from sqlalchemy import select

from service.auth import key_required
from service.errors import ApiError
from service.extensions import page
from service.schemas import AuditQuery, bad_request
from store.db import AuditEvent, Scope
from store.queries import FilterError, within

__all__ = ["MAX_AUDIT_PAGE", "audit_log"]

audit_log = Blueprint("audit_log", __name__)

#: Largest page of ``GET /v1/audit``.
MAX_AUDIT_PAGE = 1000


def _row(e: AuditEvent) -> dict:
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "action": e.action,
        "key_id": e.key_id,
        "call_id": e.call_id,
        "client": e.client,
        "detail": e.detail,
    }


@audit_log.get("/v1/audit")
@key_required(Scope.ADMIN)
def list_audit():
    """The team's audit rows, newest first, filtered by action, call, key and time."""
    try:
        q = AuditQuery.model_validate(request.args.to_dict())
        query = select(AuditEvent).where(AuditEvent.team_id == g.team_id)
        for column, value in (
            (AuditEvent.action, q.action),
            (AuditEvent.call_id, q.call_id),
            (AuditEvent.key_id, q.key_id),
        ):
            if value is not None:
                query = query.where(column == value)
        query = within(query, AuditEvent.at, q.date_from, q.date_to)
    except ValidationError as exc:
        raise ApiError(400, *bad_request(exc)) from None
    except FilterError as exc:
        raise ApiError(400, exc.code, exc.message) from None
    rows, next_offset = page(query.order_by(AuditEvent.id.desc()), q.limit, q.offset, MAX_AUDIT_PAGE)
    return jsonify({"items": [_row(e) for e in rows], "next_offset": next_offset})
