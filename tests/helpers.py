"""Shared helpers for the tests: text normalisation for WER, fixture labels, fixture cases, ports and polling."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "fixtures" / "calls"
SHARED_DATA = ROOT.parent / "shared" / "data"

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _number(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    return " ".join(_UNITS[int(d)] for d in str(n))  # read long numbers digit by digit, as in account numbers


def normalize(text: str) -> str:
    """Lower case, numbers spelled out, punctuation dropped: the usual WER normalisation."""
    text = text.lower().replace("mrs.", "mrs").replace("-", " ")
    text = re.sub(r"\d+", lambda m: f" {_number(int(m.group()))} ", text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    return " ".join(text.split())


def labels(name: str) -> dict:
    return json.loads((CALLS / f"{name}.labels.json").read_text())


def reference_text(name: str, speaker: str | None = None) -> str:
    return " ".join(t["text"] for t in labels(name)["turns"] if speaker in (None, t["speaker"]))


def report_text(report: dict, speaker: str | None = None) -> str:
    return " ".join(t["text"] for t in report["turns"] if speaker in (None, t["speaker"]))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    """Poll ``predicate`` every 0.3 s until it returns something true, and return that; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def http_ok(url: str) -> bool:
    """Whether a GET of ``url`` answers 200 within 2 s."""
    import requests

    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def fixture_cases(names, suffixes, known_misses: dict[tuple[str, str], str]) -> list:
    """``(name, suffix)`` parameters for every fixture version; known misses are strict xfails with their reason."""
    cases = []
    for name in names:
        for suffix in suffixes:
            reason = known_misses.get((name, suffix))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(name, suffix, marks=marks, id=f"{name}{suffix}"))
    return cases


SYSTEM_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def reachable_postgres(url: str = SYSTEM_POSTGRES) -> bool:
    """Whether PostgreSQL answers at ``url`` within 2 s."""
    try:
        import sqlalchemy

        with sqlalchemy.create_engine(url, connect_args={"connect_timeout": 2}).connect():
            return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_schema(prefix: str = "t"):
    """A database URL on the system PostgreSQL with a schema of its own (runs do not see each other's rows);
    the schema is dropped afterwards."""
    import uuid

    import sqlalchemy

    from store.db import database

    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(SYSTEM_POSTGRES)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = f"{SYSTEM_POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        database(url).engine.dispose()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()
