"""A team's own settings over HTTP: ``GET`` and ``PATCH /v1/team`` (admin keys; the key's own team)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from pydantic import ValidationError

from service.auth import key_required
from service.errors import ApiError
from service.extensions import current
from service.schemas import TeamSettings, bad_request
from store.db import Scope, Team

__all__ = ["team"]

team = Blueprint("team", __name__)


def _view(row: Team) -> dict:
    return {
        "name": row.name,
        "audio_retention_days": row.audio_retention_days,
        "report_retention_days": row.report_retention_days,
    }


@team.get("/v1/team")
@key_required(Scope.ADMIN)
def get_team():
    with current().db.session() as s:
        return jsonify(_view(s.get(Team, g.team_id)))


@team.patch("/v1/team")
@key_required(Scope.ADMIN)
def patch_team():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_payload", "send a JSON object with audio_retention_days and/or report_retention_days")
    try:
        given = TeamSettings.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "extra_forbidden":
            raise ApiError(400, "bad_payload", f"unknown field {error['loc'][0]!r}") from None
        raise ApiError(400, *bad_request(exc)) from None
    with current().db.session.begin() as s:
        row = s.get(Team, g.team_id)
        for name in given.model_fields_set:
            setattr(row, name, getattr(given, name))
        return jsonify(_view(row))
