"""API keys: one decorator for every route that needs one.

A request carries its key as ``Authorization: Bearer <key>`` (keys from ``callscope keys create``;
only their sha256 is stored), or the web pages' session cookie, which holds the key's hash. A request
that relies on the cookie and changes something must also carry the session's ``X-CSRF-Token``. Then
the key's requests this minute are counted (:data:`service.extensions.per_key_limit`).
"""

from __future__ import annotations

import functools

from flask import g, request, session

from service.errors import ApiError
from service.extensions import current, per_key_limit

__all__ = ["api_key_required"]


def _authenticate() -> None:
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
    g.key_id, g.key_tag = found.id, found.key_hash[:16]


def api_key_required(view):
    """The key from the header or the session cookie (401 without a valid one), then the per-key rate limit."""
    limited = per_key_limit(view)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        _authenticate()
        return limited(*args, **kwargs)

    return wrapper
