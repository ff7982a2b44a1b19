"""Webhooks in (``POST /v1/webhooks/recording``): a finished recording from a telephony platform.

The request is verified (:mod:`store.signing`: callscope's HMAC with a timestamp, or Twilio's
signature), its fields are validated (:class:`service.schemas.RecordingWebhook`) and the recording's
URL is checked against the outbound policy (:mod:`store.outbound`); then the call is written with that
URL and answered 202 at once. The recording is fetched by a queued job (:mod:`workers.fetch`, retried
with backoff), which stores it and queues the analysis; a fetch that fails for good ends the call
``failed`` with ``fetch_failed``, visible on the call and to its callback. A recording is analysed
once: its id is the call's ``external_id`` under the webhooks' own key, so a repeated delivery returns
the existing call, unless its fetch failed for good: a delivery again then fetches again. The call
joins the team named in the body (``team``; default: the team ``default``), and its upload leaves an
audit row under the webhooks' key.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.calls import call_view, enqueue, existing_call, outbound_url
from service.errors import ApiError
from service.extensions import current
from service.schemas import RecordingWebhook, bad_request
from store.audit import Action, record
from store.db import DEFAULT_TEAM_ID, Call, CallStatus, Team
from store.keys import webhook_key_id
from store.queue import enqueue_fetch
from store.signing import verify, verify_twilio

__all__ = ["webhooks"]

webhooks = Blueprint("webhooks", __name__)


def _signed_payload() -> dict:
    """The webhook's fields, once its signature holds (401 otherwise)."""
    settings = current().settings
    if "X-Twilio-Signature" in request.headers:
        if not settings.twilio_auth_token:
            raise ApiError(401, "webhook_not_configured", "set CALLSCOPE_TWILIO_AUTH_TOKEN to accept Twilio callbacks")
        params = request.form.to_dict()
        reason = verify_twilio(settings.twilio_auth_token, request.headers["X-Twilio-Signature"], request.url, params)
        if reason:
            raise ApiError(401, "bad_signature", reason)
        return {"recording_id": params.get("RecordingSid"), "recording_url": params.get("RecordingUrl")}
    if not settings.webhook_secret:
        raise ApiError(401, "webhook_not_configured", "set CALLSCOPE_WEBHOOK_SECRET to accept signed webhooks")
    headers = request.headers
    reason = verify(
        settings.webhook_secret,
        headers.get("X-Callscope-Timestamp"),
        headers.get("X-Callscope-Signature"),
        request.get_data(cache=True),
    )
    if reason:
        raise ApiError(401, "bad_signature", reason)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_payload", "the body must be a JSON object")
    return payload


@webhooks.post("/v1/webhooks/recording")
def recording_webhook():
    try:
        hook = RecordingWebhook.model_validate(_signed_payload())
    except ValidationError as exc:
        raise ApiError(400, *bad_request(exc)) from None
    recording_url = outbound_url(hook.recording_url, "bad_recording_url")
    fields = {
        "external_id": hook.recording_id,
        "agent_id": hook.agent_id,
        "customer_ref": hook.customer_ref,
        "agent_channel": hook.agent_channel,
        "language": hook.language,
        "callback_url": outbound_url(hook.callback_url, "bad_callback_url"),
    }
    state = current()
    key_id = webhook_key_id(state.db)
    team_id = DEFAULT_TEAM_ID
    if hook.team:
        with state.db.session() as s:
            team_id = s.scalar(select(Team.id).where(Team.name == hook.team))
        if team_id is None:
            raise ApiError(400, "bad_team", f"no team {hook.team!r}: make it with `callscope teams create`")
    with state.db.session.begin() as s:
        existing = existing_call(s, key_id, None, hook.recording_id)
        if existing is not None and existing.error_code == "fetch_failed" and existing.audio_key is None:
            # Delivered again after its fetch failed for good: the platform re-sends it, so fetch again.
            existing.status, existing.stage, existing.error_code, existing.error = (
                CallStatus.QUEUED,
                "fetch",
                None,
                None,
            )
            existing.recording_url = recording_url
        elif existing is not None:
            return jsonify(call_view(existing)), 200
    if existing is not None:
        return jsonify(enqueue(existing, call_view(existing), enqueue_fetch)), 202
    call = Call(
        key_id=key_id,
        team_id=team_id,
        filename=recording_url.rsplit("/", 1)[-1][:255] or "recording",
        recording_url=recording_url,
        stage="fetch",
        **fields,
    )
    try:
        with state.db.session.begin() as s:
            s.add(call)
            s.flush()
            record(s, Action.UPLOAD, team_id=team_id, key_id=key_id, call_id=call.id, client=request.remote_addr)
    except IntegrityError:  # the same recording delivered twice at once
        with state.db.session() as s:
            return jsonify(call_view(existing_call(s, key_id, None, hook.recording_id))), 200
    return jsonify(enqueue(call, call_view(call), enqueue_fetch)), 202
