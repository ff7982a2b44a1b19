"""Retention and deletion (issue 17), over real HTTP against the real service and through the real
`callscope purge` command, with a clock: `--now` puts the purge days ahead."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import requests
from helpers import ROOT
from service_harness import finished_call

from store.db import AuditEvent, Call, Scope, database, utcnow
from store.keys import create_key, create_team


def _purge(service, now) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "purge", "--now", now.isoformat()],
        env=service.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def _get(service, key, path):
    return requests.get(f"{service.url}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _patch_team(service, key, body):
    return requests.patch(f"{service.url}/v1/team", headers={"Authorization": f"Bearer {key}"}, json=body, timeout=30)


def test_expired_audio_and_reports_go_and_the_rest_stays(service, real_report):
    db = database(service.settings.database_url)
    create_team(db, "blue")
    key = create_key(db, "lead", (Scope.ADMIN,), "default")
    blue = create_key(db, "blue-lead", (Scope.ADMIN,), "blue")
    old, recent, running = (finished_call(service, key, real_report) for _ in range(3))
    blue_old = finished_call(service, blue, real_report)
    with db.session.begin() as s:  # received 10 days ago (the clock below moves on from there)
        for call_id in (old, running, blue_old):
            s.get(Call, call_id).created_at = utcnow() - timedelta(days=10)
        s.get(Call, running).status = "processing"
    audio_of = {c: db.session().get(Call, c).audio_key for c in (old, recent, running)}

    r = _patch_team(service, key, {"audio_retention_days": 7})
    assert r.status_code == 200 and r.json() == {
        "name": "default",
        "audio_retention_days": 7,
        "report_retention_days": None,
    }
    assert "purged the recordings of 1 call(s) and 0 call(s) entirely" in _purge(service, utcnow()).stdout
    # The old call's recording is gone from the store and the API; its report stays.
    assert not service.app.extensions["callscope"].storage.exists(audio_of[old])
    gone = _get(service, key, f"/v1/calls/{old}/audio")
    assert gone.status_code == 404 and gone.json()["code"] == "audio_not_found"
    assert _get(service, key, f"/v1/calls/{old}/report").status_code == 200
    # The recent call, the unfinished one and the other team's (no retention set) keep theirs.
    for call_id, owner in ((recent, key), (blue_old, blue)):
        assert _get(service, owner, f"/v1/calls/{call_id}/audio").status_code == 200, call_id
    assert service.app.extensions["callscope"].storage.exists(audio_of[running])  # served once analysed

    # Reports after 30 days: 31 days on, the finished old and recent calls go entirely.
    assert _patch_team(service, key, {"report_retention_days": 30}).json()["report_retention_days"] == 30
    twenty_one = _purge(service, utcnow() + timedelta(days=21)).stdout  # old: 31 days; recent: 21
    assert "purged the recordings of 1 call(s) and 1 call(s) entirely" in twenty_one
    assert _get(service, key, f"/v1/calls/{old}").status_code == 404
    assert _get(service, key, f"/v1/calls/{recent}").status_code == 200  # 21 days old
    assert "and 1 call(s) entirely" in _purge(service, utcnow() + timedelta(days=31)).stdout
    assert _get(service, key, f"/v1/calls/{recent}").status_code == 404
    assert not service.app.extensions["callscope"].storage.exists(audio_of[recent])
    assert _get(service, key, f"/v1/calls/{running}").status_code == 200  # unfinished: left to finish
    assert _get(service, blue, f"/v1/calls/{blue_old}").status_code == 200

    with db.session() as s:
        rows = s.query(AuditEvent).filter(AuditEvent.action == "purge").order_by(AuditEvent.id).all()
    assert [(e.call_id, e.detail, e.client) for e in rows] == [
        (old, "audio", "purge"),
        (old, "call", "purge"),
        (recent, "audio", "purge"),  # 21 days on, past the 7 days of audio
        (recent, "call", "purge"),
    ]


def test_bad_retention_settings_are_refused(service):
    key = service.key
    for body, code in (
        ({"audio_retention_days": 0}, "bad_audio_retention_days"),
        ({"report_retention_days": "30"}, "bad_report_retention_days"),
        ({"report_retention_days": 1.5}, "bad_report_retention_days"),
        ({"keep": 3}, "bad_payload"),
    ):
        r = _patch_team(service, key, body)
        assert r.status_code == 400 and r.json()["code"] == code, (body, r.text)
    assert _patch_team(service, key, {"audio_retention_days": None}).json()["audio_retention_days"] is None
    reader = create_key(database(service.settings.database_url), "coach", (Scope.READ,), "default")
    assert _patch_team(service, reader, {"audio_retention_days": 3}).status_code == 403
    bad = subprocess.run(
        [sys.executable, "-m", "cli.main", "teams", "set", "default", "--audio-retention-days", "-3"],
        env=service.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "give whole days (1-36500) or 'none'" in bad.stderr


def test_a_data_subject_request_deletes_by_external_id_agent_or_customer(service, real_report):
    db = database(service.settings.database_url)
    key = service.key
    create_team(db, "blue")
    blue = create_key(db, "blue-lead", (Scope.ADMIN,), "blue")
    a = finished_call(service, key, real_report, customer_ref="CUST-9", external_id="E-1")
    b = finished_call(service, key, real_report, customer_ref="CUST-9")
    c = finished_call(service, key, real_report, customer_ref="CUST-1", agent_id="bea")
    theirs = finished_call(service, blue, real_report, customer_ref="CUST-9")

    def delete(query, with_key=key):
        return requests.delete(
            f"{service.url}/v1/calls?{query}", headers={"Authorization": f"Bearer {with_key}"}, timeout=30
        )

    for query in ("", "customer_ref=CUST-9&agent_id=amy", "customer_ref="):
        r = delete(query)
        assert r.status_code == 400 and r.json()["code"] == "bad_delete_filter", query
    r = delete("customer_ref=CUST-9")
    assert r.status_code == 200 and sorted(r.json()["deleted"]) == sorted([a, b]) and r.json()["count"] == 2
    assert _get(service, key, f"/v1/calls/{a}").status_code == 404
    assert _get(service, blue, f"/v1/calls/{theirs}").status_code == 200  # another team's customer
    assert delete("agent_id=bea").json()["deleted"] == [c]
    assert delete("external_id=E-1").json() == {"deleted": [], "count": 0}
    with db.session() as s:
        rows = s.query(AuditEvent).filter(AuditEvent.action == "delete").all()
    assert sorted((e.call_id, e.detail) for e in rows) == sorted(
        [(a, "customer_ref request"), (b, "customer_ref request"), (c, "agent_id request")]
    )
