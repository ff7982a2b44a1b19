"""The OpenAPI 3.1 description of the API, served at ``/openapi.json`` and rendered at ``/docs``."""

from __future__ import annotations

import html

from store.db import FIELD_LIMITS, FILTER_PARAMS

__all__ = ["SPEC", "docs_html"]

_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CALL = {"description": "The call", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Call"}}}}
#: The list's query parameters and what each takes.
_LIST_PARAMS = {
    **FILTER_PARAMS,
    "limit": "Page size, 1-200 (default 50).",
    "offset": "Calls to skip; the response's next_offset gives the next page.",
}
_TOO_LONG = "Longer, or with a control character: 400 bad_<field>, the message giving the limit."


def _text(name: str, **extra) -> dict:
    """A text field's schema, with the length its column holds (store.db.FIELD_LIMITS)."""
    return {"type": "string", "maxLength": FIELD_LIMITS[name], "description": _TOO_LONG, **extra}


_ID = [{"name": "call_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}]

SPEC: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "callscope",
        "version": "1",
        "description": "Upload recorded calls; get transcripts, turn-taking, tone and verdicts with evidence. "
        "Every route but /healthz and the signed webhook needs 'Authorization: Bearer <key>'. "
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
                    "status": {"enum": ["queued", "processing", "done", "failed"]},
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
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": _text("idempotency_key")}
                ],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["audio"],
                                "properties": {
                                    "audio": {"type": "string", "format": "binary"},
                                    "external_id": _text("external_id"),
                                    "agent_id": _text("agent_id"),
                                    "agent_channel": {"enum": ["auto", "left", "right"]},
                                    "language": _text("language"),
                                    "callback_url": _text(
                                        "callback_url",
                                        format="uri",
                                        description="Public http(s) URL POSTed to when the call ends; "
                                        "loopback, private, link-local and multicast addresses get 400 "
                                        "bad_callback_url unless CALLSCOPE_ALLOWED_FETCH_HOSTS allows them.",
                                    ),
                                },
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
                "summary": "List calls, newest first",
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
                    for n, d in _LIST_PARAMS.items()
                ],
                "responses": {"200": {"description": "{items: [Call], next_offset}"}, "400": _ERROR, "401": _ERROR},
            },
        },
        "/v1/calls/{call_id}": {
            "parameters": _ID,
            "get": {"summary": "Status, stage and progress", "responses": {"200": _CALL, "404": _ERROR}},
            "delete": {
                "summary": "Delete the audio, report, record and queue entry",
                "responses": {"204": {"description": "Deleted"}, "404": _ERROR},
            },
        },
        "/v1/calls/{call_id}/report": {
            "parameters": _ID,
            "get": {
                "summary": "The JSON report (schema: docs/report-schema.md)",
                "responses": {"200": {"description": "The report"}, "404": _ERROR, "409": _ERROR},
            },
        },
        "/v1/calls/{call_id}/audio": {
            "parameters": _ID,
            "get": {
                "summary": "The recording, for playback (HTTP range requests supported)",
                "responses": {"200": {"description": "Audio"}, "206": {"description": "Part"}, "404": _ERROR},
            },
        },
        "/v1/webhooks/recording": {
            "post": {
                "summary": "A finished recording from a telephony platform (signed; see store/signing.py)",
                "security": [],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["recording_id", "recording_url"],
                                "properties": {
                                    "recording_id": _text("external_id"),
                                    "recording_url": _text(
                                        "recording_url",
                                        format="uri",
                                        description="Public http(s) URL of the audio; other addresses, "
                                        "and redirects to them, get 400 bad_recording_url.",
                                    ),
                                    "agent_id": _text("agent_id"),
                                    "agent_channel": {"enum": ["auto", "left", "right"]},
                                    "language": _text("language"),
                                    "callback_url": _text("callback_url", format="uri"),
                                },
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {"type": "object", "description": "Twilio's recording status callback"}
                        },
                    }
                },
                "responses": {
                    "202": _CALL,
                    "200": _CALL,
                    "400": _ERROR,
                    "401": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "502": _ERROR,
                },
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
        "/healthz": {
            "get": {
                "summary": "Redis and database checks",
                "security": [],
                "responses": {"200": {"description": "Healthy"}, "503": {"description": "Degraded"}},
            }
        },
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "Text format"}}}},
    },
}


def _with_common_errors(spec: dict) -> dict:
    """Every operation may refuse unknown query parameters (400); authenticated ones add 401 and 429."""
    for item in spec["paths"].values():
        for method, op in item.items():
            if method == "parameters":
                continue
            op["responses"].setdefault("400", _ERROR)
            if op.get("security") != []:
                op["responses"].setdefault("401", _ERROR)
                op["responses"].setdefault("429", _ERROR)
    return spec


_with_common_errors(SPEC)


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
                f"<td>{html.escape(op.get('summary', ''))}</td><td>{codes}</td></tr>"
            )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>callscope API</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}td,th{padding:.3rem .6rem;"
        "border-bottom:1px solid #ccc;text-align:left}</style>"
        f"<h1>callscope API v1</h1><p>{html.escape(SPEC['info']['description'])}</p>"
        "<p>Machine-readable: <a href=/openapi.json>/openapi.json</a>. Errors are JSON {code, message}.</p>"
        "<table><tr><th>method</th><th>path</th><th>what</th><th>responses</th></tr>"
        + "".join(rows)
        + "</table></html>"
    )
