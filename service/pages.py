"""The web pages for QA teams and coaches: log in, calls, upload, call review, agents.

Served by the API's Flask app and honouring the same API keys. Logging in
checks the key and keeps only its sha256 in the session cookie (signed,
HttpOnly, SameSite=Lax; Secure with ``CALLSCOPE_SECURE_COOKIES=1``); a key
revoked later stops working at the next request. The pages' scripts call the
``/v1`` API with that cookie; requests that change something also send the
session's CSRF token (``X-CSRF-Token``), which :mod:`service.auth` checks.
The pages show the key's own team's calls only, and need the ``read`` scope
(the upload page ``ingest``); a call of another team is "not found". Opening a
call's review page and exporting the CSV leave audit rows, as the API does.

Charts are drawn by uPlot, vendored under ``static/vendor/uplot`` (see its
``VENDOR.md``). The review page gets all its data embedded in its HTML
(:func:`service.review.review_view`), so it renders after one request plus
the static files.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from analysis.names import Result
from service.auth import audit, use_key
from service.extensions import current
from service.review import VERDICT_TITLES, key_figures, read_report, review_view
from service.schemas import ListQuery
from store.audit import Action
from store.db import VERDICTS, Call, CallStatus, Scope, hash_key
from store.queries import FILTER_PARAMS, FilterError, calls_query
from store.settings import ServiceSettings

__all__ = ["pages", "secret_key"]

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

#: Rows per page of the calls table.
PAGE_SIZE = 50
#: Most recent calls read for an agent's trends and pass rates.
AGENT_CALLS = 200


def secret_key(settings: ServiceSettings) -> str:
    """``CALLSCOPE_SECRET_KEY``, or a random key made once in ``<data dir>/secret_key`` (mode 0600) and shared by
    every API process on that data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


def login_required(scope: Scope = Scope.READ):
    """A page for a logged-in key holding ``scope``: else the login page, or 403 with what is missing."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            key_hash = session.get("key_hash")
            found = current().db.key_by_hash(key_hash) if key_hash else None
            if found is None:
                session.clear()
                return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
            use_key(found)
            if not found.allows(scope):
                return render_template("forbidden.html", scope=scope.value, held=found.scopes), 403
            return view(*args, **kwargs)

        return wrapper

    return decorate


@pages.app_context_processor
def _globals():
    return {"csrf_token": session.get("csrf", ""), "logged_in": bool(session.get("key_hash")), "VERDICTS": VERDICTS}


@pages.get("/")
def index():
    return redirect(url_for("pages.calls"))


@pages.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    next_url = request.values.get("next") or url_for("pages.calls")
    if not next_url.startswith("/") or next_url.startswith("//"):  # no open redirect
        next_url = url_for("pages.calls")
    if request.method == "POST":
        key = (request.form.get("api_key") or "").strip()
        if current().db.key_for(key) if key else None:
            session.clear()
            session["key_hash"] = hash_key(key)
            session["csrf"] = secrets.token_urlsafe(24)
            return redirect(next_url)
        error = "This API key is not valid. Create one with `callscope keys create --name <who> --scope read`."
        status = 401
    return render_template("login.html", error=error, next_url=next_url), status


@pages.post("/logout")
def logout():
    if request.form.get("csrf") == session.get("csrf"):
        session.clear()
    return redirect(url_for("pages.login"))


def _filters() -> dict:
    return {name: request.args.get(name, "").strip() for name in FILTER_PARAMS}


@pages.get("/calls")
@login_required()
def calls():
    filters = _filters()
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    db = current().db
    error, rows = None, []
    try:
        query = calls_query(g.team_id, **ListQuery.model_validate(filters).filters())
    except FilterError as exc:
        error, query = exc.message, None
    with db.session() as s:
        if query is not None:
            rows = [c.summary() for c in s.scalars(query.limit(PAGE_SIZE + 1).offset(offset)).all()]
        agents = s.scalars(
            select(Call.agent_id).where(Call.team_id == g.team_id, Call.agent_id.is_not(None)).distinct()
        ).all()
    kept = {k: v for k, v in filters.items() if v}
    return render_template(
        "calls.html",
        calls=rows[:PAGE_SIZE],
        filters=filters,
        agents=sorted(agents),
        error=error,
        csv_url=url_for("pages.calls_csv") + ("?" + urlencode(kept) if kept else ""),
        prev_url=url_for("pages.calls", **kept, offset=max(0, offset - PAGE_SIZE)) if offset else None,
        next_url=url_for("pages.calls", **kept, offset=offset + PAGE_SIZE) if len(rows) > PAGE_SIZE else None,
        verdict_titles=VERDICT_TITLES,
    )


@pages.get("/calls.csv")
@login_required()
def calls_csv():
    """Every call that matches the filters, as CSV (one row per call; times in UTC ISO 8601, durations in s)."""
    try:
        query = calls_query(g.team_id, **ListQuery.model_validate(_filters()).filters())
    except FilterError as exc:
        return Response(exc.message + "\n", status=400, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "created_at", "status", "agent_id", "external_id", "filename", "duration_s", *VERDICTS, "report_url"]
    )
    with current().db.session() as s:
        for c in s.scalars(query).yield_per(500):
            v = c.summary()
            writer.writerow(
                [
                    c.id,
                    v["created_at"],
                    c.status,
                    c.agent_id or "",
                    c.external_id or "",
                    c.filename,
                    "" if c.duration_s is None else round(c.duration_s, 1),
                    *[(v["verdicts"][name] or "") for name in VERDICTS],
                    url_for("calls.get_report", call_id=c.id, _external=True),
                ]
            )
    kept = "&".join(f"{k}={v}" for k, v in _filters().items() if v)
    audit(Action.EXPORT_CSV, detail=kept or None)
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="calls.csv"'}
    )


@pages.get("/upload")
@login_required(Scope.INGEST)
def upload():
    return render_template("upload.html", max_upload_mb=current().settings.max_upload_mb)


@pages.get("/calls/<call_id>")
@login_required()
def review(call_id: str):
    with current().db.session() as s:
        call = s.get(Call, call_id) if call_id.isalnum() else None
        if call is None or call.team_id != g.team_id:
            return render_template("missing.html", call_id=call_id), 404
        summary, report = call.summary(), (read_report(call.report) if call.status == CallStatus.DONE else None)
    if report is not None:
        audit(Action.VIEW_REPORT, call_id)
    view = review_view(summary, report)
    return render_template(
        "review.html",
        call=summary,
        view=view,
        audio_url=url_for("calls.get_audio", call_id=call_id),
        report_url=url_for("calls.get_report", call_id=call_id),
        status_url=url_for("calls.get_call", call_id=call_id),
    )


@pages.get("/agents")
@login_required()
def agents():
    with current().db.session() as s:
        rows = s.execute(
            select(Call.agent_id, func.count(), func.max(Call.created_at))
            .where(Call.team_id == g.team_id, Call.agent_id.is_not(None))
            .group_by(Call.agent_id)
            .order_by(Call.agent_id)
        ).all()
    return render_template("agents.html", agents=[{"id": a, "calls": n, "last": last} for a, n, last in rows])


def _agent_point(call: Call) -> dict:
    """One call of an agent's trend: its date (s since the epoch) and its key figures."""
    return {
        "id": call.id,
        "t": call.created_at.timestamp() if call.created_at else None,
        **key_figures(read_report(call.report)),
    }


@pages.get("/agents/<path:agent_id>")
@login_required()
def agent(agent_id: str):
    with current().db.session() as s:
        recent = s.scalars(
            select(Call)
            .where(Call.team_id == g.team_id, Call.agent_id == agent_id)
            .order_by(Call.created_at.desc())
            .limit(AGENT_CALLS)
        ).all()
        done = [c for c in reversed(recent) if c.status == CallStatus.DONE]
        summaries = [c.summary() for c in recent]
        points = [_agent_point(c) for c in done]
    rates = {}
    for name in VERDICTS:
        results = [s["verdicts"][name] for s in summaries if s["status"] == CallStatus.DONE]
        judged = [r for r in results if r in (Result.PASSED, Result.FAILED)]
        rates[name] = {
            "title": VERDICT_TITLES[name],
            "passed": judged.count(Result.PASSED),
            "judged": len(judged),
            "not_applicable": results.count(Result.NOT_APPLICABLE),
            "rate_pct": None if not judged else round(100 * judged.count(Result.PASSED) / len(judged)),
        }
    return render_template("agent.html", agent_id=agent_id, calls=summaries, rates=rates, points=points)
