"""The web pages' sessions, without a browser: log in, cookie flags, CSRF on the API, filters and CSV.

These use Flask's test client on a real SQLite database; the browser tests
are in test_pages_e2e.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.app import create_app
from store.db import Call
from store.settings import ServiceSettings


@pytest.fixture
def app(tmp_path):
    return create_app(ServiceSettings.from_env({"CALLSCOPE_DATA_DIR": str(tmp_path / "data")}))


@pytest.fixture
def key(app):
    return app.extensions["callscope"].db.create_key("pages")


def _login(client, key):
    return client.post("/login", data={"api_key": key, "next": "/calls"})


def test_pages_redirect_to_login_and_refuse_a_bad_key(app):
    client = app.test_client()
    r = client.get("/calls?agent_id=a")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=/calls")
    r = client.post("/login", data={"api_key": "cs_wrong"})
    assert r.status_code == 401 and b"not valid" in r.data
    # No open redirect through ?next=.
    assert "//evil" not in client.get("/login?next=//evil.example").get_data(as_text=True)


def test_login_sets_a_safe_cookie_without_the_key(app, key):
    client = app.test_client()
    r = _login(client, key)
    assert r.status_code == 302 and r.headers["Location"] == "/calls"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert key not in cookie
    assert client.get("/calls").status_code == 200


def test_the_session_reaches_the_api_and_writes_need_the_csrf_token(app, key):
    client = app.test_client()
    _login(client, key)
    assert client.get("/v1/calls").status_code == 200
    r = client.post("/v1/calls", data={})
    assert r.status_code == 403 and r.json["code"] == "csrf_failed"
    with client.session_transaction() as s:
        token = s["csrf"]
    r = client.post("/v1/calls", data={}, headers={"X-CSRF-Token": token})
    assert r.status_code == 400 and r.json["code"] == "no_audio"  # past the CSRF check, to the request's own error


def test_a_revoked_key_ends_the_session(app, key):
    client = app.test_client()
    _login(client, key)
    db = app.extensions["callscope"].db
    with db.session.begin() as s:
        for row in s.query(type(db.key_for(key))).all():
            row.revoked = True
    assert client.get("/calls").status_code == 302
    assert client.get("/v1/calls").status_code == 401


def test_calls_filters_and_csv_export(app, key):
    db = app.extensions["callscope"].db
    key_id = db.key_for(key).id
    with db.session.begin() as s:
        s.add(Call(key_id=key_id, agent_id="amy", status="done", filename="a.wav", verdict_calm="failed"))
        s.add(Call(key_id=key_id, agent_id="ben", status="done", filename="b.wav", verdict_calm="passed"))
    client = app.test_client()
    _login(client, key)
    page = client.get("/calls?verdict=stayed_calm:failed").get_data(as_text=True)
    assert "a.wav" in page and "b.wav" not in page
    csv = client.get("/calls.csv?agent_id=ben")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,created_at,status,agent_id") and len(lines) == 2 and ",ben," in lines[1]
    assert client.get("/calls.csv?verdict=nonsense").status_code == 400
    page = client.get("/agents/amy").get_data(as_text=True)
    assert "passed 0 of 1 judged calls" in page


def test_review_page_of_a_queued_call_degrades(app, key):
    db = app.extensions["callscope"].db
    with db.session.begin() as s:
        call = Call(key_id=db.key_for(key).id, filename="q.wav")
        s.add(call)
    client = app.test_client()
    _login(client, key)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Still being analysed" in page and 'id="player"' in page
    assert client.get("/calls/nosuchcall").status_code == 404


def test_times_are_utc_with_their_offset_and_filters_read_them_so(app, key):
    """SQLite keeps no offset; the API still shows one, and filters take a time without one as UTC."""
    db = app.extensions["callscope"].db
    key_id = db.key_for(key).id
    with db.session.begin() as s:
        s.add(Call(key_id=key_id, filename="late.wav", created_at=datetime(2026, 1, 5, 23, 30, tzinfo=UTC)))
        # 00:30 at UTC+2 is 22:30 UTC the day before.
        east = timezone(timedelta(hours=2))
        s.add(Call(key_id=key_id, filename="east.wav", created_at=datetime(2026, 1, 6, 0, 30, tzinfo=east)))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}

    def names(query: str) -> list[str]:
        r = client.get(f"/v1/calls?{query}", headers=headers)
        assert r.status_code == 200, r.json
        return sorted(c["filename"] for c in r.json["items"])

    listed = client.get("/v1/calls", headers=headers).json["items"]
    assert sorted(c["created_at"] for c in listed) == ["2026-01-05T22:30:00+00:00", "2026-01-05T23:30:00+00:00"]
    assert names("from=2026-01-05T23:00:00") == ["late.wav"]
    assert names("from=2026-01-06T00:00:00%2B01:00") == ["late.wav"]
    assert names("to=2026-01-05T23:00:00") == ["east.wav"]
    assert names("to=2026-01-05") == ["east.wav", "late.wav"]
    assert names("from=2026-01-06") == []
