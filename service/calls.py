"""The calls API (``/v1/calls``): upload, status, report, audio, list and delete.

The API process never decodes audio and never imports the analysis stack: it stores the upload under a
generated id, checks the container signature (:mod:`store.sniff`), writes the call and enqueues its id
by name (:func:`store.queue.enqueue_call`). Workers do the rest (:mod:`workers.jobs`). A key sees its
own team's calls only (:func:`service.auth.team_call`); idempotency (``Idempotency-Key`` or
``external_id``) is per key. Uploads, report views, audio plays and deletes leave audit rows.
"""

from __future__ import annotations

import mimetypes

from flask import Blueprint, current_app, g, jsonify, request, url_for
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.audio import send_recording
from service.auth import audit, key_required, team_call
from service.errors import ApiError
from service.extensions import current, page
from service.schemas import CallFields, ListQuery, bad_request
from store.audit import Action
from store.db import Call, CallStatus, Scope
from store.outbound import RefusedURL, check_url
from store.queries import FilterError, calls_query, field_problem
from store.queue import enqueue_call
from store.redacted import swap_audio
from store.retention import delete_calls
from store.sniff import audio_container
from store.storage import TooLarge, worker_token_ok

__all__ = ["MAX_PAGE", "call_view", "calls", "create_call", "existing_call", "outbound_url"]

calls = Blueprint("calls", __name__)

#: Largest page of ``GET /v1/calls``.
MAX_PAGE = 200
_MIME = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg", "mp4": "audio/mp4"}


def _call_or_404(session, call_id: str) -> Call:
    """Any team's call: for the worker route only (API keys go through :func:`service.auth.team_call`)."""
    call = session.get(Call, call_id) if call_id.isalnum() else None
    if call is None:
        raise ApiError(404, "call_not_found", f"no call {call_id!r}")
    return call


def call_view(call: Call) -> dict:
    """The call as the API shows it, with the URLs of its status, report and audio."""
    out = call.summary()
    out["status_url"] = url_for("calls.get_call", call_id=call.id, _external=True)
    out["report_url"] = url_for("calls.get_report", call_id=call.id, _external=True)
    out["audio_url"] = url_for("calls.get_audio", call_id=call.id, _external=True)
    return out


def outbound_url(value: str | None, code: str) -> str | None:
    """A URL the service will contact, refused (400 ``code``) when it names an address inside the site."""
    if not value:
        return None
    try:
        check_url(str(value), current().settings.outbound)
    except RefusedURL as exc:
        raise ApiError(400, code, f"{code.removeprefix('bad_')} refused: {exc}") from None
    return str(value)


def existing_call(session, key_id: int, idempotency_key: str | None, external_id: str | None) -> Call | None:
    for column, value in ((Call.idempotency_key, idempotency_key), (Call.external_id, external_id)):
        if value:
            found = session.scalar(select(Call).where(Call.key_id == key_id, column == value))
            if found is not None:
                return found
    return None


def enqueue(call: Call, body: dict, enqueue_job) -> dict:
    """Queue the call's job; with Redis down, the call is kept and the requeue sweep queues it later."""
    state = current()
    try:
        enqueue_job(state.redis(), call.id, state.settings)
    except (RedisError, ApiError):  # stored durably: the requeue sweep (store.requeue) queues it
        current_app.logger.warning("call %s stored but not queued: the queue is unavailable", call.id)
        body["warning"] = (
            "the queue is unavailable; the call is stored and will be queued when it is back (the requeue sweep)"
        )
    return body


def create_call(key_id: int, team_id: int, stream, filename: str, fields: dict):
    """Store the audio, check it is audio, write the call and enqueue it: 202, or 200 for a duplicate."""
    state = current()
    max_mb = state.settings.max_upload_mb
    try:
        key, size = state.storage.save(stream, max_bytes=int(max_mb * 1024 * 1024))
    except TooLarge:
        raise ApiError(413, "too_large", f"the upload is larger than {max_mb:g} MB") from None
    if size == 0:
        state.storage.delete(key)
        raise ApiError(400, "empty_file", "the upload is empty (0 bytes)")
    if audio_container(state.storage.head(key)) is None:
        state.storage.delete(key)
        raise ApiError(
            415, "not_audio", "this is not a recording we can read: send WAV, MP3, FLAC, Ogg/Opus or M4A audio"
        )
    call = Call(
        key_id=key_id,
        team_id=team_id,
        filename=filename.rsplit("/", 1)[-1][:255],
        audio_key=key,
        size_bytes=size,
        **fields,
    )
    try:
        with state.db.session.begin() as s:
            s.add(call)
            s.flush()
            audit(Action.UPLOAD, call.id, session_=s)
    except IntegrityError:  # the same external_id or Idempotency-Key raced in from another request
        state.storage.delete(key)
        with state.db.session() as s:
            existing = existing_call(s, key_id, fields.get("idempotency_key"), fields.get("external_id"))
        return jsonify(call_view(existing)), 200
    return jsonify(enqueue(call, call_view(call), enqueue_call)), 202


@calls.post("/v1/calls")
@key_required(Scope.INGEST)
def post_call():
    given = {**request.args.to_dict(), **request.form.to_dict()}
    try:
        fields = CallFields.model_validate(
            {**given, "idempotency_key": request.headers.get("Idempotency-Key") or None}
        ).model_dump()
    except ValidationError as exc:
        raise ApiError(400, *bad_request(exc)) from None
    fields["callback_url"] = outbound_url(fields["callback_url"], "bad_callback_url")
    with current().db.session() as s:
        existing = existing_call(s, g.key_id, fields["idempotency_key"], fields["external_id"])
        if existing is not None:
            return jsonify(call_view(existing)), 200
    content_type = (request.content_type or "").split(";")[0]
    if "audio" in request.files:
        upload = request.files["audio"]
        stream, filename = upload.stream, upload.filename or "upload"
    elif content_type == "application/octet-stream" or content_type.startswith("audio/"):
        stream, filename = request.stream, given.get("filename") or "upload"
    else:
        raise ApiError(400, "no_audio", "send the recording as a multipart field 'audio', or as the raw body (audio/*)")
    return create_call(g.key_id, g.team_id, stream, filename, fields)


@calls.get("/v1/calls/<call_id>")
@key_required(Scope.READ)
def get_call(call_id: str):
    with current().db.session() as s:
        return jsonify(call_view(team_call(s, call_id)))


@calls.get("/v1/calls/<call_id>/report")
@key_required(Scope.READ)
def get_report(call_id: str):
    with current().db.session() as s:
        call = team_call(s, call_id)
        if call.status == CallStatus.FAILED:
            raise ApiError(409, "call_failed", f"the analysis failed ({call.error_code}): {call.error}")
        if call.status != CallStatus.DONE:
            poll = url_for("calls.get_call", call_id=call_id)
            raise ApiError(409, "report_not_ready", f"the call is {call.status}; poll {poll}")
        report = call.report
    audit(Action.VIEW_REPORT, call_id)
    return jsonify(report)


@calls.get("/v1/calls/<call_id>/audio")
@key_required(Scope.READ)
def get_audio(call_id: str):
    state = current()
    with state.db.session() as s:
        call = team_call(s, call_id)
    if state.redact and call.status != CallStatus.DONE:
        raise ApiError(
            409,
            "audio_not_redacted",
            f"the call is {call.status}: its recording is served once the analysis has redacted it "
            "(a failed call's recording never is; an admin can delete it)",
        )
    if not call.audio_key or not state.storage.exists(call.audio_key):
        raise ApiError(404, "audio_not_found", "the audio of this call is no longer stored (or not yet fetched)")
    container = audio_container(state.storage.head(call.audio_key))
    mime = _MIME.get(container or "", mimetypes.guess_type(call.filename)[0] or "application/octet-stream")
    if request.method == "GET" and request.headers.get("Range", "bytes=0-").replace(" ", "").startswith("bytes=0-"):
        audit(Action.PLAY_AUDIO, call_id)  # one row per play: from the start; later ranges are seeks in it
    return send_recording(state.storage, call.audio_key, mime, download_name=call.filename or f"{call.id}.audio")


@calls.get("/v1/worker/audio/<call_id>")
def worker_audio(call_id: str):
    """A call's recording for a worker on another host (store.storage.ApiAudio): the worker token only."""
    state = current()
    if not worker_token_ok(state.settings.worker_token, request.headers.get("Authorization")):
        raise ApiError(
            401, "unauthorized", "this route is for workers: send 'Authorization: Bearer <CALLSCOPE_WORKER_TOKEN>'"
        )
    with state.db.session() as s:
        call = _call_or_404(s, call_id)
    if not call.audio_key or not state.storage.exists(call.audio_key):
        raise ApiError(404, "audio_not_found", "the audio of this call is no longer stored")
    return send_recording(state.storage, call.audio_key, "application/octet-stream", conditional=False)


@calls.post("/v1/worker/audio/<call_id>/redacted")
def worker_redacted_audio(call_id: str):
    """A worker without the data directory hands over a call's redacted recording (FLAC body): it replaces the
    original (kept aside only with ``keep_original=1``). The worker token only."""
    state = current()
    if not worker_token_ok(state.settings.worker_token, request.headers.get("Authorization")):
        raise ApiError(
            401, "unauthorized", "this route is for workers: send 'Authorization: Bearer <CALLSCOPE_WORKER_TOKEN>'"
        )
    with state.db.session() as s:
        _call_or_404(s, call_id)
    # FLAC of 16-bit samples can be larger than the upload it came from (8-bit mu-law: about 1.3 times).
    max_bytes = int(state.settings.max_upload_mb * 1024 * 1024) * 4
    request.max_content_length = max_bytes
    try:
        swap_audio(
            state.db, state.storage, call_id, request.stream, request.args.get("keep_original") == "1", max_bytes
        )
    except TooLarge:
        raise ApiError(413, "too_large", "the redacted recording is larger than allowed") from None
    return "", 204


@calls.get("/v1/calls")
@key_required(Scope.READ)
def list_calls():
    try:
        query = ListQuery.model_validate(request.args.to_dict())
        rows_query = calls_query(g.team_id, **query.filters())
    except ValidationError as exc:
        raise ApiError(400, *bad_request(exc)) from None
    except FilterError as exc:
        raise ApiError(400, exc.code, exc.message) from None
    rows, next_offset = page(rows_query, query.limit, query.offset, MAX_PAGE)
    return jsonify({"items": [call_view(c) for c in rows], "next_offset": next_offset})


@calls.delete("/v1/calls/<call_id>")
@key_required(Scope.ADMIN)
def delete_call(call_id: str):
    state = current()
    with state.db.session() as s:
        call = team_call(s, call_id)
    delete_calls(state.db, state.storage, _redis_or_none(), [call], _audit_fields())
    return "", 204


@calls.delete("/v1/calls")
@key_required(Scope.ADMIN)
def delete_calls_of():
    """A data-subject request: delete every call of the team with this ``external_id``, ``agent_id`` or
    ``customer_ref`` (exactly one of them)."""
    given = {k: v for k, v in request.args.items() if k in _DELETE_BY and v}
    if len(given) != 1:
        raise ApiError(
            400, "bad_delete_filter", "give exactly one of external_id, agent_id or customer_ref to delete by"
        )
    (name, value), state = next(iter(given.items())), current()
    if problem := field_problem(name, value):
        raise ApiError(400, f"bad_{name}", problem)
    with state.db.session() as s:
        found = s.scalars(select(Call).where(Call.team_id == g.team_id, _DELETE_BY[name] == value)).all()
    deleted = delete_calls(state.db, state.storage, _redis_or_none(), list(found), _audit_fields(f"{name} request"))
    return jsonify({"deleted": deleted, "count": len(deleted)})


#: What ``DELETE /v1/calls`` deletes by.
_DELETE_BY = {"external_id": Call.external_id, "agent_id": Call.agent_id, "customer_ref": Call.customer_ref}


def _audit_fields(detail: str | None = None) -> dict:
    return {"action": Action.DELETE, "key_id": g.key_id, "client": request.remote_addr, "detail": detail}


def _redis_or_none():
    try:
        return current().redis()
    except ApiError:
        return None
