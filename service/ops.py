"""Operations: ``/healthz`` (no key), ``/metrics`` (Prometheus), ``/openapi.json`` and ``/docs``."""

from __future__ import annotations

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import func, select

from service.auth import api_key_required
from service.errors import ApiError
from service.extensions import current
from service.openapi import SPEC, docs_html
from store.db import Call, CallStatus
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
@api_key_required
def openapi():
    return jsonify(SPEC)


@ops.get("/docs")
@api_key_required
def docs():
    return docs_html(), 200, {"Content-Type": "text/html; charset=utf-8"}


@ops.get("/metrics")
@api_key_required
def metrics():
    """Queue depth and calls by status (read now), and the counters and stage histograms that workers add to as
    calls finish (store.metrics). No report is read."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    from store.metrics import collect

    state = current()
    registry = CollectorRegistry()
    depth = Gauge("callscope_queue_depth", "Jobs waiting in the calls queue", registry=registry)
    by_status = Gauge("callscope_calls", "Calls by status", ["status"], registry=registry)
    try:
        depth.set(state.redis().llen(f"rq:queue:{QUEUE_NAME}"))
    except (RedisError, ApiError):
        depth.set(float("nan"))
    with state.db.session() as s:
        counts = dict(s.execute(select(Call.status, func.count()).group_by(Call.status)).all())
    for status in CallStatus:
        by_status.labels(status.value).set(counts.get(status, 0))
    families = collect(state.db)

    class _Table:
        def collect(self):
            return families

    registry.register(_Table())
    return generate_latest(registry), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
