"""The HTTP API and the web pages, versioned under ``/v1`` (Flask application factory).

Blueprints: :mod:`service.calls` (``/v1/calls``), :mod:`service.webhooks` (``/v1/webhooks/recording``),
:mod:`service.audit_log` (``/v1/audit``), :mod:`service.team` (``/v1/team``), :mod:`service.ops`
(health, metrics, OpenAPI) and :mod:`service.pages` (the web pages). Every route but ``/healthz`` and
the signed webhook needs an API key holding the route's scope (:mod:`service.auth`); every error is
JSON ``{"code", "message"}`` (:mod:`service.errors`).
"""

from __future__ import annotations

from flask import Flask, request

from service import errors
from service.audit_log import audit_log
from service.calls import calls
from service.errors import ApiError
from service.extensions import callscope, limiter, limits_storage_uri
from service.openapi import SPEC
from service.ops import ops
from service.pages import pages, secret_key
from service.team import team
from service.webhooks import webhooks
from store.queue import QUEUE_NAME
from store.settings import ServiceSettings

__all__ = ["ApiError", "create_app"]


def create_app(settings: ServiceSettings | None = None) -> Flask:
    settings = settings or ServiceSettings.from_env()
    app = Flask("callscope", static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=int(settings.max_upload_mb * 1024 * 1024) + 64 * 1024,
        # Text fields are small, but werkzeug also applies this to its parser buffer: keep it well above a chunk.
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        MAX_FORM_PARTS=50,
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="callscope_session",
        RATELIMIT_STORAGE_URI=limits_storage_uri(settings.redis_url),
        CALLSCOPE_QUEUE=QUEUE_NAME,
    )
    callscope.init_app(app, settings)
    limiter.init_app(app)
    errors.register(app, settings.max_upload_mb, settings.rate_limit_per_min)
    app.before_request(_known_query_parameters)
    for blueprint in (calls, webhooks, audit_log, team, ops, pages):
        app.register_blueprint(blueprint)
    return app


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
