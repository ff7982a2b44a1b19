"""Operations: ``/healthz`` (no key), ``/metrics`` (Prometheus; ``read``), ``/openapi.json`` and ``/docs`` (any key).

``/metrics`` counts the key's own team's calls by status. The queue depth and the workers' counters and
stage timings (:mod:`store.metrics`) are the deployment's, not a team's: they name no call and hold no
call content, and they are shown to ``admin`` keys only.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from redis.exceptions import RedisError
from sqlalchemy import func, select

from service.auth import key_required
from service.errors import ApiError
from service.extensions import current
from service.openapi import SPEC, docs_html
from store.db import Call, CallStatus, Scope
from store.queue import QUEUE_NAME

__all__ = ["ops"]

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz():
    """Database and Redis reachable: 200 ``ok``; either down: 503 ``degraded`` (uploads are still stored)."""
    state, checks, ok = current(), {}, True
    try:
        with state.db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"], ok = f"error: {type(exc).__name__}", False
    try:
        state.redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"], ok = f"error: {type(exc).__name__}", False
    return jsonify({"status": "ok" if ok else "degraded", **checks}), 200 if ok else 503


@ops.get("/openapi.json")
@key_required(None)
def openapi():
    return jsonify(SPEC)


@ops.get("/docs")
@key_required(None)
def docs():
    return docs_html(), 200, {"Content-Type": "text/html; charset=utf-8"}


@ops.get("/metrics")
@key_required(Scope.READ)
def metrics():
    """The team's calls by status (read now); for admin keys also the queue depth and the counters and stage
    histograms that workers add to as calls finish (store.metrics). No report is read."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    from store.metrics import collect

    state = current()
    registry = CollectorRegistry()
    by_status = Gauge("callscope_calls", "The key's team's calls by status", ["status"], registry=registry)
    with state.db.session() as s:
        counts = dict(
            s.execute(select(Call.status, func.count()).where(Call.team_id == g.team_id).group_by(Call.status)).all()
        )
    for status in CallStatus:
        by_status.labels(status.value).set(counts.get(status, 0))
    if not g.key.allows(Scope.ADMIN):
        return generate_latest(registry), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    depth = Gauge("callscope_queue_depth", "Jobs waiting in the calls queue", registry=registry)
    try:
        depth.set(state.redis().llen(f"rq:queue:{QUEUE_NAME}"))
    except (RedisError, ApiError):
        depth.set(float("nan"))
    families = collect(state.db)

    class _Table:
        def collect(self):
            return families

    registry.register(_Table())
    return generate_latest(registry), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
