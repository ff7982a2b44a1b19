"""API keys: one decorator for every route that needs one, and the audit rows of what a key does.

A request carries its key as ``Authorization: Bearer <key>`` (keys from ``callscope keys create``;
only their sha256 is stored), or the web pages' session cookie, which holds the key's hash. A request
that relies on the cookie and changes something must also carry the session's ``X-CSRF-Token``. Then
the key's scope is checked (:class:`store.db.Scope`: 403 ``forbidden`` without it), and the key's requests
this minute are counted (:data:`service.extensions.per_key_limit`).

A key sees only its own team's calls: :func:`team_call` answers 404 for another team's call, the same
as for a call that does not exist, so that call ids of other teams cannot be probed.
"""

from __future__ import annotations

import functools

from flask import g, request, session

from service.errors import ApiError
from service.extensions import current, per_key_limit
from store.audit import Action, record
from store.db import ApiKey, Call, Scope

__all__ = ["audit", "key_required", "team_call"]


def _authenticate() -> ApiKey:
    db = current().db
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if key:
        found = db.key_for(key)
    elif session.get("key_hash"):
        found = db.key_by_hash(session["key_hash"])
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
        if found is not None and unsafe and request.headers.get("X-CSRF-Token") != session.get("csrf"):
            raise ApiError(403, "csrf_failed", "this request lacks the page's X-CSRF-Token; reload the page")
    else:
        raise ApiError(401, "unauthorized", "send your API key as 'Authorization: Bearer <key>'")
    if found is None:
        raise ApiError(401, "unauthorized", "this API key is not valid; create one with `callscope keys create`")
    return found


def use_key(found: ApiKey) -> None:
    """Make ``found`` the request's key: ``g.key_id``, ``g.team_id``, the rate limit's bucket and its scopes."""
    g.key_id, g.team_id, g.key_tag, g.key = found.id, found.team_id, found.key_hash[:16], found


def key_required(scope: Scope | None):
    """A valid key (401 without one) holding ``scope`` (403 ``forbidden`` without it; None: any scope), then
    the per-key rate limit."""

    def decorate(view):
        limited = per_key_limit(view)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            found = _authenticate()
            use_key(found)
            if scope is not None and not found.allows(scope):
                raise ApiError(
                    403,
                    "forbidden",
                    f"this key's scope is {found.scopes.replace(',', ', ')}; this route needs {scope.value} "
                    "(or admin): ask an admin for a key with it (`callscope keys create --scope ...`)",
                )
            return limited(*args, **kwargs)

        return wrapper

    return decorate


def team_call(session_, call_id: str) -> Call:
    """The request's team's call ``call_id``; 404 ``call_not_found`` for any other (missing or not the team's)."""
    call = session_.get(Call, call_id) if call_id.isalnum() else None
    if call is None or call.team_id != g.team_id:
        raise ApiError(404, "call_not_found", f"no call {call_id!r}")
    return call


def audit(action: Action, call_id: str | None = None, detail: str | None = None, session_=None) -> None:
    """One audit row for the request's key and client (:mod:`store.audit`): in ``session_`` when given (it
    commits with the action), else in a transaction of its own."""
    fields = {"team_id": g.team_id, "key_id": g.key_id, "call_id": call_id, "client": request.remote_addr}
    if session_ is not None:
        record(session_, action, detail=detail, **fields)
        return
    with current().db.session.begin() as s:
        record(s, action, detail=detail, **fields)
