"""The OpenAPI 3.1 description of the API, served at ``/openapi.json`` and rendered at ``/docs``.

Request fields are described by the same models that validate them (:mod:`service.schemas`): a field's
type, length limit and meaning are written once.
"""

from __future__ import annotations

import html

from service.schemas import AuditQuery, CallFields, ListQuery, RecordingWebhook, TeamSettings
from store.db import CallStatus
from store.queries import FIELD_LIMITS

__all__ = ["SPEC", "docs_html"]

_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CALL = {"description": "The call", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Call"}}}}


def _properties(model) -> dict:
    """A request model's fields as JSON Schema properties (null left out: an absent field is the same)."""
    out = {}
    for name, prop in model.model_json_schema(by_alias=False)["properties"].items():
        prop = dict(prop)
        options = [p for p in prop.pop("anyOf", []) if p.get("type") != "null"]
        if options:
            prop.update(options[0])
        prop.pop("default", None)
        prop.pop("title", None)
        out[name] = prop
    return out


def _query_parameters(model) -> list[dict]:
    """A query model's fields as OpenAPI parameters, under the names the URL uses (``from``, ``to``)."""
    out = []
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        shown = alias.choices[0] if alias is not None and hasattr(alias, "choices") else name
        out.append(
            {
                "name": shown,
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": field.description,
            }
        )
    return out


_CALL_FIELDS = _properties(CallFields)
_IDEMPOTENCY = _CALL_FIELDS.pop("idempotency_key")

_ID = [{"name": "call_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}]

SPEC: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "callscope",
        "version": "1",
        "description": "Upload recorded calls; get transcripts, turn-taking, tone and verdicts with evidence. "
        "Every route but /healthz and the signed webhook needs 'Authorization: Bearer <key>', of a key holding "
        "the route's scope (x-scope: ingest, read or admin; admin holds all three; 403 forbidden without it). "
        "A key sees its own team's calls only: another team's call is 404. "
        "The web pages' session cookie (after logging in at /login) is accepted too; with it, POST and DELETE "
        "also need the page's 'X-CSRF-Token' header, or get 403 csrf_failed.",
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "worker": {"type": "http", "scheme": "bearer", "description": "CALLSCOPE_WORKER_TOKEN"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
            "Call": {
                "type": "object",
                "required": ["id", "status", "progress"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"enum": [s.value for s in CallStatus]},
                    "stage": {"type": ["string", "null"]},
                    "progress": {"type": "number", "minimum": 0, "maximum": 100},
                    "error": {"type": ["object", "null"]},
                    "external_id": {"type": ["string", "null"]},
                    "agent_id": {"type": ["string", "null"]},
                    "duration_s": {"type": ["number", "null"]},
                    "verdicts": {"type": "object"},
                    "status_url": {"type": "string"},
                    "report_url": {"type": "string"},
                    "audio_url": {"type": "string"},
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/v1/calls": {
            "post": {
                "summary": "Upload a call (multipart field 'audio', or a raw audio/* body)",
                "x-scope": "ingest",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False, "schema": _IDEMPOTENCY}],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["audio"],
                                "properties": {"audio": {"type": "string", "format": "binary"}, **_CALL_FIELDS},
                            }
                        },
                        "audio/*": {"schema": {"type": "string", "format": "binary"}},
                    }
                },
                "responses": {
                    "202": {**_CALL, "description": "Accepted and queued"},
                    "200": {**_CALL, "description": "Already accepted (same Idempotency-Key or external_id)"},
                    "400": _ERROR,
                    "401": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "429": _ERROR,
                },
            },
            "get": {
                "summary": "List the team's calls, newest first",
                "x-scope": "read",
                "parameters": _query_parameters(ListQuery),
                "responses": {"200": {"description": "{items: [Call], next_offset}"}, "400": _ERROR, "401": _ERROR},
            },
            "delete": {
                "summary": "Delete every call of the team with this external_id, agent_id or customer_ref (exactly "
                "one): a data-subject request. Each deletion leaves an audit row.",
                "x-scope": "admin",
                "parameters": [
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": FIELD_LIMITS[name]},
                    }
                    for name in ("external_id", "agent_id", "customer_ref")
                ],
                "responses": {"200": {"description": "{deleted: [call id], count}"}},
            },
        },
        "/v1/calls/{call_id}": {
            "parameters": _ID,
            "get": {
                "summary": "Status, stage and progress",
                "x-scope": "read",
                "responses": {"200": _CALL, "404": _ERROR},
            },
            "delete": {
                "summary": "Delete the audio, report, record and queue entry",
                "x-scope": "admin",
                "responses": {"204": {"description": "Deleted"}, "404": _ERROR},
            },
        },
        "/v1/calls/{call_id}/report": {
            "parameters": _ID,
            "get": {
                "summary": "The JSON report (schema: docs/report-schema.md)",
                "x-scope": "read",
                "responses": {"200": {"description": "The report"}, "404": _ERROR, "409": _ERROR},
            },
        },
        "/v1/calls/{call_id}/audio": {
            "parameters": _ID,
            "get": {
                "summary": "The recording, for playback (HTTP range requests supported)",
                "x-scope": "read",
                "responses": {"200": {"description": "Audio"}, "206": {"description": "Part"}, "404": _ERROR},
            },
        },
        "/v1/webhooks/recording": {
            "post": {
                "summary": "A finished recording from a telephony platform (signed; see store/signing.py); "
                "the recording is fetched by a queued job after the 202",
                "security": [],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["recording_id", "recording_url"],
                                "properties": _properties(RecordingWebhook),
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {"type": "object", "description": "Twilio's recording status callback"}
                        },
                    }
                },
                "responses": {"202": _CALL, "200": _CALL, "400": _ERROR, "401": _ERROR},
            }
        },
        "/v1/worker/audio/{call_id}": {
            "parameters": _ID,
            "get": {
                "summary": "A call's recording, for a worker on a host without the API's data directory "
                "(Authorization: Bearer <CALLSCOPE_WORKER_TOKEN>; API keys are refused)",
                "security": [{"worker": []}],
                "responses": {"200": {"description": "Audio"}, "401": _ERROR, "404": _ERROR},
            },
        },
        "/v1/team": {
            "get": {
                "summary": "The key's team: its name and retention settings",
                "x-scope": "admin",
                "responses": {"200": {"description": "{name, audio_retention_days, report_retention_days}"}},
            },
            "patch": {
                "summary": "Set the team's retention (whole days; null keeps until deleted); purged by "
                "`callscope purge` and `callscope serve`",
                "x-scope": "admin",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    name: {**prop, "type": ["integer", "null"]}
                                    for name, prop in _properties(TeamSettings).items()
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "{name, audio_retention_days, report_retention_days}"}},
            },
        },
        "/v1/audit": {
            "get": {
                "summary": "The team's audit trail, newest first: who did what to which call, when, from where",
                "x-scope": "admin",
                "parameters": _query_parameters(AuditQuery),
                "responses": {
                    "200": {"description": "{items: [{id, at, action, key_id, call_id, client, detail}], next_offset}"}
                },
            }
        },
        "/v1/worker/audio/{call_id}/redacted": {
            "parameters": _ID,
            "post": {
                "summary": "A call's redacted recording (FLAC body), from a worker without the API's data directory: "
                "it replaces the original (kept aside with keep_original=1, served by no route)",
                "security": [{"worker": []}],
                "parameters": [
                    {"name": "keep_original", "in": "query", "required": False, "schema": {"enum": ["0", "1"]}}
                ],
                "requestBody": {
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
                },
                "responses": {"204": {"description": "Stored"}, "401": _ERROR, "404": _ERROR, "413": _ERROR},
            },
        },
        "/healthz": {
            "get": {
                "summary": "Redis and database checks",
                "security": [],
                "responses": {"200": {"description": "Healthy"}, "503": {"description": "Degraded"}},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics: the team's calls by status; for admin keys also the queue depth and "
                "the workers' counters and stage timings",
                "x-scope": "read",
                "responses": {"200": {"description": "Text format"}},
            }
        },
    },
}


def _with_common_errors(spec: dict) -> dict:
    """Every operation may refuse unknown query parameters (400); authenticated ones add 401 and 429, and those
    that need a scope 403."""
    for item in spec["paths"].values():
        for method, op in item.items():
            if method == "parameters":
                continue
            op["responses"].setdefault("400", _ERROR)
            if op.get("security") != []:
                op["responses"].setdefault("401", _ERROR)
                op["responses"].setdefault("429", _ERROR)
            if op.get("x-scope"):
                op["responses"].setdefault("403", _ERROR)
    return spec


_with_common_errors(SPEC)


def _scope(op: dict) -> str:
    if op.get("security") == []:
        return "none"
    return op.get("x-scope", "any key")


def docs_html() -> str:
    """A plain page listing every route of :data:`SPEC` (no script, works offline)."""
    rows = []
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            codes = ", ".join(op.get("responses", {}))
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op.get('summary', ''))}</td><td>{html.escape(_scope(op))}</td><td>{codes}</td></tr>"
            )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>callscope API</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}td,th{padding:.3rem .6rem;"
        "border-bottom:1px solid #ccc;text-align:left}</style>"
        f"<h1>callscope API v1</h1><p>{html.escape(SPEC['info']['description'])}</p>"
        "<p>Machine-readable: <a href=/openapi.json>/openapi.json</a>. Errors are JSON {code, message}.</p>"
        "<table><tr><th>method</th><th>path</th><th>what</th><th>scope</th><th>responses</th></tr>"
        + "".join(rows)
        + "</table></html>"
    )
