"""The HTTP API, versioned under ``/v1`` (Flask application factory).

Every route but ``/healthz`` needs ``Authorization: Bearer <key>`` (keys from
``callscope keys create``; only their sha256 is stored). Every error is JSON
``{"code": ..., "message": ...}`` with a stable ``code``; no stack trace is
ever sent. The API process never decodes audio and never imports the
analysis stack: it stores the upload under a generated id, checks the
container signature (:mod:`service.sniff`), writes the call to the database
and enqueues its id. Workers do the rest (:mod:`workers.jobs`).

All keys of one deployment see all its calls (one organisation per
deployment); idempotency (``Idempotency-Key`` or ``external_id``) is per key.
"""

from __future__ import annotations

import functools
import mimetypes
import time

from flask import Flask, g, jsonify, request, session, url_for
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from service.audio import send_recording
from service.openapi import SPEC, docs_html
from service.pages import pages, secret_key
from service.sniff import audio_container
from store.db import FIELD_LIMITS, Call, FilterError, calls_query_from_args, database, field_problem
from store.outbound import RefusedURL, check_url
from store.outbound import session as outbound_session
from store.queue import QUEUE_NAME, connect, enqueue_call
from store.settings import ServiceSettings
from store.signing import verify, verify_twilio
from store.storage import TooLarge, open_storage, worker_token_ok

__all__ = ["ApiError", "create_app"]

#: Largest page of ``GET /v1/calls``.
MAX_PAGE = 200
_MIME = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg", "mp4": "audio/mp4"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str):
    response = jsonify({"code": code, "message": message})
    response.status_code = status
    return response


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or ServiceSettings.from_env()
    app = Flask("callscope", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_mb * 1024 * 1024) + 64 * 1024
    # Text fields are small, but werkzeug also applies this to its parser buffer: keep it well above a chunk.
    app.config["MAX_FORM_MEMORY_SIZE"] = 1024 * 1024
    app.config["MAX_FORM_PARTS"] = 50
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="callscope_session",
    )
    db = database(settings.database_url)
    storage = open_storage(settings)
    app.extensions["callscope"] = {"settings": settings, "db": db, "storage": storage}

    def redis():
        if "redis" not in g:
            if not settings.redis_url:
                raise ApiError(
                    503, "queue_unavailable", "no queue is configured: set REDIS_URL or use `callscope serve`"
                )
            g.redis = connect(settings.redis_url)
        return g.redis

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        response = _error(exc.status, exc.code, exc.message)
        response.headers.update(getattr(exc, "headers", {}))
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        codes = {
            404: ("not_found", "no such route; the API is under /v1 (see /openapi.json)"),
            405: ("method_not_allowed", f"{request.method} is not allowed here"),
            413: (
                "too_large",
                f"the upload is larger than {settings.max_upload_mb:g} MB (CALLSCOPE_MAX_UPLOAD_MB); "
                "split the recording or raise the limit",
            ),
        }
        code, message = codes.get(exc.code, ("http_error", exc.description or exc.name))
        response = _error(exc.code or 500, code, message)
        response.headers.update({k: v for k, v in exc.get_headers() if k.lower() == "allow"})  # RFC 9110 on 405
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unexpected error")
        return _error(500, "internal_error", "the server failed to handle this request; it has been logged")

    def authenticated(view):
        """The API key from ``Authorization: Bearer``, or from the web pages' session cookie. A request that
        relies on the cookie and changes something must also carry the session's ``X-CSRF-Token``."""

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
            if key:
                found = db.key_for(key)
            elif session.get("key_hash"):
                found = db.key_by_hash(session["key_hash"])
                unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
                if found is not None and unsafe and request.headers.get("X-CSRF-Token") != session.get("csrf"):
                    raise ApiError(403, "csrf_failed", "this request lacks the page's X-CSRF-Token; reload the page")
            else:
                raise ApiError(401, "unauthorized", "send your API key as 'Authorization: Bearer <key>'")
            if found is None:
                raise ApiError(
                    401, "unauthorized", "this API key is not valid; create one with `callscope keys create`"
                )
            g.key_id = found.id
            _rate_limit(found.key_hash[:16])
            return view(*args, **kwargs)

        return wrapper

    def _rate_limit(key_tag: str) -> None:
        """At most ``rate_limit_per_min`` requests per key per clock minute, counted in Redis (shared by
        every API process). Without Redis the limit is not enforced rather than every request refused."""
        if settings.rate_limit_per_min <= 0:
            return
        window = int(time.time() // 60)
        counter = f"callscope:rate:{key_tag}:{window}"
        try:
            pipe = redis().pipeline()
            pipe.incr(counter)
            pipe.expire(counter, 120)
            count = pipe.execute()[0]
        except (RedisError, ApiError):
            return
        if count > settings.rate_limit_per_min:
            retry_after = 60 - int(time.time()) % 60
            error = ApiError(
                429,
                "rate_limited",
                f"more than {settings.rate_limit_per_min} requests this minute; retry in {retry_after} s",
            )
            error.headers = {"Retry-After": str(retry_after)}
            raise error

    def _call_or_404(session, call_id: str) -> Call:
        call = session.get(Call, call_id) if call_id.isalnum() else None
        if call is None:
            raise ApiError(404, "call_not_found", f"no call {call_id!r}")
        return call

    def _view(call: Call) -> dict:
        out = call.summary()
        out["status_url"] = url_for("get_call", call_id=call.id, _external=True)
        out["report_url"] = url_for("get_report", call_id=call.id, _external=True)
        out["audio_url"] = url_for("get_audio", call_id=call.id, _external=True)
        return out

    @app.before_request
    def _known_query_parameters():
        """Refuse query parameters the API does not define (typos such as ?agentid= must not pass silently)."""
        if request.url_rule is None or not request.args:
            return None
        path = request.url_rule.rule.replace("<", "{").replace(">", "}")
        if path not in SPEC["paths"]:  # the web pages read their own parameters
            return None
        operation = SPEC["paths"][path].get(request.method.lower(), {})
        allowed = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        unknown = sorted(set(request.args) - allowed)
        if unknown:
            raise ApiError(400, "unknown_parameter", f"unknown query parameter(s): {', '.join(unknown)}")
        return None

    @app.get("/healthz")
    def healthz():
        checks, ok = {}, True
        try:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"], ok = f"error: {type(exc).__name__}", False
        try:
            redis().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"], ok = f"error: {type(exc).__name__}", False
        return jsonify({"status": "ok" if ok else "degraded", **checks}), 200 if ok else 503

    @app.get("/openapi.json")
    @authenticated
    def openapi():
        return jsonify(SPEC)

    @app.get("/docs")
    @authenticated
    def docs():
        return docs_html(), 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.get("/metrics")
    @authenticated
    def metrics():
        """Queue depth and calls by status (read now), and the counters and stage histograms that workers
        add to as calls finish (store.metrics). No report is read."""
        from prometheus_client import CollectorRegistry, Gauge, generate_latest
        from sqlalchemy import func

        from store.metrics import collect

        registry = CollectorRegistry()
        depth = Gauge("callscope_queue_depth", "Jobs waiting in the calls queue", registry=registry)
        by_status = Gauge("callscope_calls", "Calls by status", ["status"], registry=registry)
        try:
            depth.set(redis().llen(f"rq:queue:{QUEUE_NAME}"))
        except (RedisError, ApiError):
            depth.set(float("nan"))
        with db.session() as s:
            counts = dict(s.execute(select(Call.status, func.count()).group_by(Call.status)).all())
        for status in ("queued", "processing", "done", "failed"):
            by_status.labels(status).set(counts.get(status, 0))
        families = collect(db)

        class _Table:
            def collect(self):
                return families

        registry.register(_Table())
        return generate_latest(registry), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}

    @app.post("/v1/calls")
    @authenticated
    def post_call():
        meta = {**request.args.to_dict(), **request.form.to_dict()}
        agent_channel = meta.get("agent_channel") or None
        if agent_channel not in (None, "auto", "left", "right"):
            raise ApiError(400, "bad_agent_channel", "agent_channel must be 'auto', 'left' or 'right'")
        idempotency_key = request.headers.get("Idempotency-Key") or None
        external_id = meta.get("external_id") or None
        _check_fields({**meta, "idempotency_key": idempotency_key})
        callback_url = _callback_url(meta.get("callback_url"))

        with db.session() as s:
            existing = _existing(s, g.key_id, idempotency_key, external_id)
            if existing is not None:
                return jsonify(_view(existing)), 200

        if "audio" in request.files:
            upload = request.files["audio"]
            stream, filename = upload.stream, upload.filename or "upload"
        elif (request.content_type and request.content_type.split(";")[0] in ("application/octet-stream",)) or (
            request.content_type or ""
        ).startswith("audio/"):
            stream, filename = request.stream, meta.get("filename") or "upload"
        else:
            raise ApiError(
                400, "no_audio", "send the recording as a multipart field 'audio', or as the raw body (audio/*)"
            )
        fields = {
            "external_id": external_id,
            "idempotency_key": idempotency_key,
            "agent_id": meta.get("agent_id") or None,
            "agent_channel": agent_channel,
            "language": meta.get("language") or None,
            "callback_url": callback_url,
        }
        return _create_call(g.key_id, stream, filename, fields)

    def _check_fields(fields: dict, names: dict[str, str] | None = None) -> None:
        """400 ``bad_<field>`` for a text field its column cannot hold (``names`` renames a field)."""
        for name in FIELD_LIMITS:
            value, shown = fields.get(name), (names or {}).get(name, name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ApiError(400, f"bad_{shown}", f"{shown} must be a string")
            if problem := field_problem(name, value):
                raise ApiError(400, f"bad_{shown}", problem.replace(name, shown, 1))

    def _create_call(key_id: int, stream, filename: str, fields: dict):
        """Store the audio, check it is audio, write the call and enqueue it: 202, or 200 for a duplicate."""
        try:
            key, size = storage.save(stream, max_bytes=int(settings.max_upload_mb * 1024 * 1024))
        except TooLarge:
            raise ApiError(413, "too_large", f"the upload is larger than {settings.max_upload_mb:g} MB") from None
        if size == 0:
            storage.delete(key)
            raise ApiError(400, "empty_file", "the upload is empty (0 bytes)")
        if audio_container(storage.head(key)) is None:
            storage.delete(key)
            raise ApiError(
                415,
                "not_audio",
                "this is not a recording we can read: send WAV, MP3, FLAC, Ogg/Opus or M4A audio",
            )
        call = Call(
            key_id=key_id,
            filename=filename.rsplit("/", 1)[-1][:255],
            audio_key=key,
            size_bytes=size,
            **fields,
        )
        try:
            with db.session.begin() as s:
                s.add(call)
        except IntegrityError:  # the same external_id or Idempotency-Key raced in from another request
            storage.delete(key)
            with db.session() as s:
                existing = _existing(s, key_id, fields.get("idempotency_key"), fields.get("external_id"))
            return jsonify(_view(existing)), 200
        body = _view(call)
        try:
            enqueue_call(redis(), call.id, settings)
        except (RedisError, ApiError):  # stored durably: the requeue sweep (store.requeue) queues it
            app.logger.warning("call %s stored but not queued: the queue is unavailable", call.id)
            body["warning"] = (
                "the queue is unavailable; the call is stored and will be queued when it is back (the requeue sweep)"
            )
        return jsonify(body), 202

    def _existing(session, key_id: int, idempotency_key: str | None, external_id: str | None) -> Call | None:
        for column, value in ((Call.idempotency_key, idempotency_key), (Call.external_id, external_id)):
            if value:
                found = session.scalar(select(Call).where(Call.key_id == key_id, column == value))
                if found is not None:
                    return found
        return None

    @app.post("/v1/webhooks/recording")
    def recording_webhook():
        raw = request.get_data(cache=True)
        if "X-Twilio-Signature" in request.headers:
            if not settings.twilio_auth_token:
                raise ApiError(
                    401, "webhook_not_configured", "set CALLSCOPE_TWILIO_AUTH_TOKEN to accept Twilio callbacks"
                )
            params = request.form.to_dict()
            reason = verify_twilio(
                settings.twilio_auth_token, request.headers["X-Twilio-Signature"], request.url, params
            )
            recording_id, recording_url = params.get("RecordingSid"), params.get("RecordingUrl")
            meta = {"agent_channel": None, "agent_id": None, "language": None, "callback_url": None}
        else:
            if not settings.webhook_secret:
                raise ApiError(401, "webhook_not_configured", "set CALLSCOPE_WEBHOOK_SECRET to accept signed webhooks")
            reason = verify(
                settings.webhook_secret,
                request.headers.get("X-Callscope-Timestamp"),
                request.headers.get("X-Callscope-Signature"),
                raw,
            )
            payload = request.get_json(silent=True) if not reason else {}
            if not reason and not isinstance(payload, dict):
                raise ApiError(400, "bad_payload", "the body must be a JSON object")
            payload = payload or {}
            recording_id, recording_url = payload.get("recording_id"), payload.get("recording_url")
            meta = {k: payload.get(k) for k in ("agent_channel", "agent_id", "language", "callback_url")}
        if reason:
            raise ApiError(401, "bad_signature", reason)
        if not recording_id or not recording_url or not str(recording_url).startswith(("http://", "https://")):
            raise ApiError(400, "bad_payload", "the webhook needs a recording id and an http(s) recording URL")
        if meta.get("agent_channel") not in (None, "auto", "left", "right"):
            raise ApiError(400, "bad_agent_channel", "agent_channel must be 'auto', 'left' or 'right'")
        recording_id = str(recording_id) if isinstance(recording_id, int) else recording_id
        _check_fields(
            {**meta, "external_id": recording_id, "recording_url": recording_url}, {"external_id": "recording_id"}
        )
        try:
            check_url(recording_url, settings.outbound)
        except RefusedURL as exc:
            raise ApiError(400, "bad_recording_url", f"recording_url refused: {exc}") from None
        meta["callback_url"] = _callback_url(meta.get("callback_url"))
        key_id = db.webhook_key_id()
        with db.session() as s:
            existing = _existing(s, key_id, None, str(recording_id))
            if existing is not None:
                return jsonify(_view(existing)), 200
        stream = _fetch(str(recording_url))
        try:
            fields = {"external_id": str(recording_id), "idempotency_key": None, **meta}
            return _create_call(key_id, stream, str(recording_url).rsplit("/", 1)[-1] or "recording", fields)
        finally:
            stream.close()

    def _callback_url(value) -> str | None:
        if not value:
            return None
        try:
            check_url(str(value), settings.outbound)
        except RefusedURL as exc:
            raise ApiError(400, "bad_callback_url", f"callback_url refused: {exc}") from None
        return str(value)

    def _fetch(url: str):
        import requests

        try:
            response = outbound_session(settings.outbound).get(url, stream=True, timeout=(5, settings.fetch_timeout_s))
        except RefusedURL as exc:
            raise ApiError(400, "bad_recording_url", f"recording_url refused: {exc}") from None
        except requests.RequestException as exc:
            raise ApiError(502, "fetch_failed", f"could not fetch the recording: {type(exc).__name__}") from None
        if response.status_code != 200:
            response.close()
            raise ApiError(502, "fetch_failed", f"fetching the recording gave HTTP {response.status_code}")
        response.raw.decode_content = True
        return response.raw

    @app.get("/v1/calls/<call_id>")
    @authenticated
    def get_call(call_id: str):
        with db.session() as s:
            return jsonify(_view(_call_or_404(s, call_id)))

    @app.get("/v1/calls/<call_id>/report")
    @authenticated
    def get_report(call_id: str):
        with db.session() as s:
            call = _call_or_404(s, call_id)
            if call.status != "done":
                message = {
                    "failed": f"the analysis failed ({call.error_code}): {call.error}",
                }.get(call.status, f"the call is {call.status}; poll {url_for('get_call', call_id=call_id)}")
                raise ApiError(409, "report_not_ready" if call.status != "failed" else "call_failed", message)
            return jsonify(call.report)

    @app.get("/v1/calls/<call_id>/audio")
    @authenticated
    def get_audio(call_id: str):
        with db.session() as s:
            call = _call_or_404(s, call_id)
        if not storage.exists(call.audio_key):
            raise ApiError(404, "audio_not_found", "the audio of this call is no longer stored")
        container = audio_container(storage.head(call.audio_key))
        mime = _MIME.get(container or "", mimetypes.guess_type(call.filename)[0] or "application/octet-stream")
        return send_recording(storage, call.audio_key, mime, download_name=call.filename or f"{call.id}.audio")

    @app.get("/v1/worker/audio/<call_id>")
    def worker_audio(call_id: str):
        """A call's recording for a worker on another host (store.storage.ApiAudio): the worker token only."""
        if not worker_token_ok(settings.worker_token, request.headers.get("Authorization")):
            raise ApiError(
                401, "unauthorized", "this route is for workers: send 'Authorization: Bearer <CALLSCOPE_WORKER_TOKEN>'"
            )
        with db.session() as s:
            call = _call_or_404(s, call_id)
        if not storage.exists(call.audio_key):
            raise ApiError(404, "audio_not_found", "the audio of this call is no longer stored")
        return send_recording(storage, call.audio_key, "application/octet-stream", conditional=False)

    @app.get("/v1/calls")
    @authenticated
    def list_calls():
        args = request.args
        try:
            query = calls_query_from_args(args)
        except FilterError as exc:
            raise ApiError(400, exc.code, exc.message) from None
        try:
            limit = min(MAX_PAGE, max(1, int(args.get("limit", 50))))
            offset = max(0, int(args.get("offset", 0)))
        except ValueError:
            raise ApiError(400, "bad_page", "limit and offset must be whole numbers") from None
        with db.session() as s:
            rows = s.scalars(query.limit(limit + 1).offset(offset)).all()
        items = [_view(c) for c in rows[:limit]]
        next_offset = offset + limit if len(rows) > limit else None
        return jsonify({"items": items, "next_offset": next_offset})

    @app.delete("/v1/calls/<call_id>")
    @authenticated
    def delete_call(call_id: str):
        from rq.job import Job
        from rq.serializers import JSONSerializer

        with db.session.begin() as s:
            call = _call_or_404(s, call_id)
            audio_key = call.audio_key
            s.delete(call)
        if audio_key:
            storage.delete(audio_key)
        try:
            job = Job.fetch(call_id, connection=redis(), serializer=JSONSerializer)
            job.cancel()
            job.delete()
        except Exception:
            pass
        return "", 204

    app.config["CALLSCOPE_QUEUE"] = QUEUE_NAME
    app.register_blueprint(pages)
    return app
