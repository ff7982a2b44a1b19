"""Key scopes, teams and the audit trail (issue 17), over real HTTP against the real service (real Redis,
SQLite or PostgreSQL): every route x scope, every route refusing another team's call with 404, and one audit
row per audited action."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
from helpers import ROOT
from service_harness import finished_call, signed_post

from store.audit import Action
from store.db import AuditEvent, Scope, database
from store.keys import create_key, create_team, revoke_key

#: What each scope gets from each API route, for a call of the key's own team (the issue's table):
#: (method, path, expected status for ingest, read, admin). {id} is a finished call of the team.
API_ROUTES = [
    ("POST", "/v1/calls", 202, 403, 202),
    ("GET", "/v1/calls", 403, 200, 200),
    ("GET", "/v1/calls/{id}", 403, 200, 200),
    ("GET", "/v1/calls/{id}/report", 403, 200, 200),
    ("GET", "/v1/calls/{id}/audio", 403, 200, 200),
    ("GET", "/v1/audit", 403, 403, 200),
    ("GET", "/v1/team", 403, 403, 200),
    ("DELETE", "/v1/calls?customer_ref=nobody", 403, 403, 200),
    ("GET", "/metrics", 403, 200, 200),
    ("GET", "/openapi.json", 200, 200, 200),
    ("GET", "/docs", 200, 200, 200),
    ("DELETE", "/v1/calls/{id}", 403, 403, 204),
]
#: The web pages, logged in with a key of each scope (the pages read calls; the upload page ingests).
PAGE_ROUTES = [
    ("/calls", 403, 200, 200),
    ("/calls.csv", 403, 200, 200),
    ("/calls/{id}", 403, 200, 200),
    ("/agents", 403, 200, 200),
    ("/agents/amy", 403, 200, 200),
    ("/upload", 200, 403, 200),
]
#: Routes that name a call: another team's call is 404 for every scope that may use the route at all.
CALL_ROUTES = [
    ("GET", "/v1/calls/{id}"),
    ("GET", "/v1/calls/{id}/report"),
    ("GET", "/v1/calls/{id}/audio"),
    ("DELETE", "/v1/calls/{id}"),
]


def _request(service, key: str, method: str, path: str):
    headers = {"Authorization": f"Bearer {key}"}
    if method == "POST":
        with open(ROOT / "fixtures/calls/support_call_8k_mulaw.wav", "rb") as f:
            return requests.post(f"{service.url}{path}", headers=headers, files={"audio": ("c.wav", f)}, timeout=30)
    return requests.request(method, f"{service.url}{path}", headers=headers, timeout=30)


def _logged_in(service, key: str) -> requests.Session:
    session = requests.Session()
    r = session.post(f"{service.url}/login", data={"api_key": key, "next": "/calls"}, allow_redirects=False)
    assert r.status_code == 302, r.text
    return session


@pytest.fixture
def teams(service, real_report):
    """Two teams, each with a key of every scope: {team: {scope: key}}, and a finished call of each."""
    db = database(service.settings.database_url)
    create_team(db, "blue")
    keys = {
        team: {scope: create_key(db, f"{team}-{scope.value}", (scope,), team) for scope in Scope}
        for team in ("default", "blue")
    }
    calls = {team: finished_call(service, keys[team][Scope.ADMIN], real_report) for team in keys}
    return keys, calls, real_report


def test_every_route_checks_the_key_scope(service, teams):
    keys, calls, report = teams
    for method, path, *expected in API_ROUTES:
        for scope, want in zip(Scope, expected, strict=True):
            call_id = finished_call(service, keys["blue"][Scope.ADMIN], report) if method == "DELETE" else calls["blue"]
            r = _request(service, keys["blue"][scope], method, path.format(id=call_id))
            assert r.status_code == want, (method, path, scope.value, r.status_code, r.text[:200])
            if want == 403:
                assert r.json()["code"] == "forbidden" and scope.value in r.json()["message"]
    for path, *expected in PAGE_ROUTES:
        for scope, want in zip(Scope, expected, strict=True):
            r = _logged_in(service, keys["blue"][scope]).get(f"{service.url}{path.format(id=calls['blue'])}")
            assert r.status_code == want, (path, scope.value, r.status_code)
            if want == 403:
                assert "Not allowed with this key" in r.text


def test_another_teams_calls_are_not_found_anywhere(service, teams):
    keys, calls, _ = teams
    theirs = calls["default"]
    for scope in (Scope.READ, Scope.ADMIN):
        key = keys["blue"][scope]
        for method, path in CALL_ROUTES:
            if method == "DELETE" and scope != Scope.ADMIN:
                continue
            r = _request(service, key, method, path.format(id=theirs))
            assert r.status_code == 404 and r.json()["code"] == "call_not_found", (method, path, scope.value)
        listed = _request(service, key, "GET", "/v1/calls").json()["items"]
        assert [c["id"] for c in listed] == [calls["blue"]]
        page = _logged_in(service, key)
        assert page.get(f"{service.url}/calls/{theirs}").status_code == 404
        assert theirs not in page.get(f"{service.url}/calls").text
        csv = page.get(f"{service.url}/calls.csv").text
        assert theirs not in csv and calls["blue"] in csv
        assert theirs not in page.get(f"{service.url}/agents/amy").text
        metrics = _request(service, key, "GET", "/metrics").text
        assert 'callscope_calls{status="done"} 1.0' in metrics
    # The other team's call is still there, for its own team.
    assert _request(service, keys["default"][Scope.READ], "GET", f"/v1/calls/{theirs}").status_code == 200
    assert "callscope_queue_depth" not in _request(service, keys["blue"][Scope.READ], "GET", "/metrics").text
    assert "callscope_queue_depth" in _request(service, keys["blue"][Scope.ADMIN], "GET", "/metrics").text


def test_a_webhook_call_joins_the_named_team(service, teams, recordings):
    keys, _, _ = teams
    body = {"recording_id": "RE-blue-1", "recording_url": f"{recordings}/support_call_8k_mulaw.wav", "team": "blue"}
    r = signed_post(service, body)
    assert r.status_code == 202, r.text
    call_id = r.json()["id"]
    assert _request(service, keys["blue"][Scope.READ], "GET", f"/v1/calls/{call_id}").status_code == 200
    assert _request(service, keys["default"][Scope.READ], "GET", f"/v1/calls/{call_id}").status_code == 404
    r = signed_post(service, {**body, "recording_id": "RE-x", "team": "nosuchteam"})
    assert r.status_code == 400 and r.json()["code"] == "bad_team"


def _audit_rows(service, **where) -> list[AuditEvent]:
    with database(service.settings.database_url).session() as s:
        query = s.query(AuditEvent)
        for name, value in where.items():
            query = query.filter(getattr(AuditEvent, name) == value)
        return query.order_by(AuditEvent.id).all()


def test_every_audited_action_leaves_exactly_one_row(service, recordings, real_report):
    db = database(service.settings.database_url)
    key = create_key(db, "auditor", (Scope.ADMIN,), "default", client="cli")
    key_id = db.key_for(key).id
    assert [(e.action, e.detail) for e in _audit_rows(service, key_id=key_id)] == [("key_created", "admin")]

    def rows_since(before: int) -> list[tuple[str, str | None]]:
        return [(e.action, e.call_id) for e in _audit_rows(service) if e.id > before]

    def last_id() -> int:
        rows = _audit_rows(service)
        return rows[-1].id if rows else 0

    def one(action: Action, call_id: str | None, do) -> None:
        before = last_id()
        response = do()
        assert response.status_code < 400, response.text[:200]
        assert rows_since(before) == [(action.value, call_id)], action

    before = last_id()
    call_id = finished_call(service, key, real_report)
    assert rows_since(before) == [("upload", call_id)]
    one(Action.VIEW_REPORT, call_id, lambda: _request(service, key, "GET", f"/v1/calls/{call_id}/report"))
    page = _logged_in(service, key)
    one(Action.VIEW_REPORT, call_id, lambda: page.get(f"{service.url}/calls/{call_id}"))
    audio = f"{service.url}/v1/calls/{call_id}/audio"
    one(Action.PLAY_AUDIO, call_id, lambda: page.get(audio))
    one(Action.PLAY_AUDIO, call_id, lambda: page.get(audio, headers={"Range": "bytes=0-"}))
    before = last_id()  # a seek within the play is part of it
    assert page.get(audio, headers={"Range": "bytes=1000-1999"}).status_code == 206
    assert rows_since(before) == []
    one(Action.EXPORT_CSV, None, lambda: page.get(f"{service.url}/calls.csv"))
    before = last_id()  # reading a call's status or the list is not an audited action
    assert _request(service, key, "GET", f"/v1/calls/{call_id}").status_code == 200
    assert _request(service, key, "GET", "/v1/calls").status_code == 200
    assert rows_since(before) == []
    one(Action.DELETE, call_id, lambda: _request(service, key, "DELETE", f"/v1/calls/{call_id}"))
    before = last_id()
    hook = {"recording_id": "RE-audit-1", "recording_url": f"{recordings}/support_call_8k_mulaw.wav"}
    r = signed_post(service, hook)
    assert r.status_code == 202 and rows_since(before) == [("upload", r.json()["id"])]
    assert signed_post(service, hook).status_code == 200  # a repeated delivery is no new upload
    assert rows_since(before) == [("upload", r.json()["id"])]
    before = last_id()
    revoke_key(db, str(key_id))
    revoke_key(db, str(key_id))  # revoking again changes nothing
    assert rows_since(before) == [("key_revoked", None)]
    assert _request(service, key, "GET", "/v1/calls").status_code == 401

    rows = _audit_rows(service, key_id=key_id)
    assert all(e.client == "127.0.0.1" for e in rows if e.action not in ("key_created", "key_revoked"))
    with pytest.raises(PermissionError, match="append-only"), db.session.begin() as s:
        s.get(AuditEvent, rows[0].id).client = "elsewhere"
    with pytest.raises(PermissionError, match="append-only"), db.session.begin() as s:
        s.delete(s.get(AuditEvent, rows[0].id))


def test_the_audit_trail_is_for_admins_of_the_team_and_filters(service, teams):
    keys, calls, _ = teams
    admin, reader = keys["blue"][Scope.ADMIN], keys["blue"][Scope.READ]
    _request(service, reader, "GET", f"/v1/calls/{calls['blue']}/report")
    r = _request(service, admin, "GET", "/v1/audit")
    assert r.status_code == 200
    items = r.json()["items"]
    assert {e["call_id"] for e in items if e["call_id"]} == {calls["blue"]}  # never another team's rows
    views = _request(service, admin, "GET", "/v1/audit?action=view_report").json()["items"]
    assert [(e["action"], e["call_id"]) for e in views] == [("view_report", calls["blue"])]
    reader_id = database(service.settings.database_url).key_for(reader).id
    assert [e["key_id"] for e in views] == [reader_id]
    for query, code in (("action=listen", "bad_action"), ("from=yesterday", "bad_date"), ("limit=x", "bad_limit")):
        r = _request(service, admin, "GET", f"/v1/audit?{query}")
        assert r.status_code == 400 and r.json()["code"] == code, (query, r.text)
    for row in items:
        assert set(row) == {"id", "at", "action", "key_id", "call_id", "client", "detail"}


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_keys_and_teams_on_the_command_line(tmp_path):
    env = {**os.environ, "CALLSCOPE_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    bad = _cli(env, "keys", "create", "--name", "x", "--scope", "read,listen")
    assert bad.returncode == 2 and "unknown scope 'listen'" in bad.stderr and "ingest, read, admin" in bad.stderr
    bad = _cli(env, "keys", "create", "--name", "x", "--scope", "read", "--team", "green")
    assert bad.returncode == 2 and "callscope teams create green" in bad.stderr
    assert _cli(env, "teams", "create", "green").returncode == 0
    again = _cli(env, "teams", "create", "green")
    assert again.returncode == 2 and "exists already" in again.stderr
    made = _cli(env, "keys", "create", "--name", "coach", "--scope", "read,ingest", "--team", "green")
    assert made.returncode == 0 and made.stdout.startswith("cs_"), made.stderr
    listed = _cli(env, "keys", "list").stdout
    assert '"team": "green"' in listed and '"scopes": "ingest,read"' in listed and made.stdout.strip() not in listed
    prefix = made.stdout.strip()[:10]
    assert _cli(env, "keys", "revoke", prefix).returncode == 0
    assert '"revoked": true' in _cli(env, "keys", "list").stdout
    assert _cli(env, "keys", "revoke", "cs_nothing").returncode == 2
