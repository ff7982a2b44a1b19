"""Teams and API keys: who may do what (:class:`store.db.Scope`), and whose calls they see (:class:`store.db.Team`).

A key belongs to one team and holds one or more scopes. Only its sha256 is stored; the key itself is shown
once, when it is made. A key is never deleted, only revoked, so that the audit trail (:mod:`store.audit`)
keeps naming it. Making and revoking a key each leave an audit row.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from audio_features.errors import CallscopeError
from store.audit import Action, record
from store.db import ApiKey, Database, Scope, Team, hash_key

__all__ = [
    "WEBHOOK_KEY_NAME",
    "KeyRequestError",
    "create_key",
    "create_team",
    "list_keys",
    "parse_scopes",
    "revoke_key",
    "team_id",
    "webhook_key_id",
]

#: The internal, unusable key that owns calls posted by webhooks.
WEBHOOK_KEY_NAME = "(webhooks)"
#: A team's name: letters, digits, '-', '_' and '.', up to 100 characters (its column).
TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class KeyRequestError(CallscopeError):
    """A scope, team or key named on the command line that does not exist or cannot be used (exit 2)."""

    code = "bad_key_request"
    exit_code = 2


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """``"read,ingest"`` as scopes, in a stable order.

    Raises:
        KeyRequestError: an empty list or an unknown scope, naming the valid ones.
    """
    names = [part.strip() for part in text.split(",") if part.strip()]
    valid = ", ".join(s.value for s in Scope)
    if not names:
        raise KeyRequestError(f"give at least one scope: {valid}")
    unknown = [n for n in names if n not in {s.value for s in Scope}]
    if unknown:
        raise KeyRequestError(f"unknown scope {unknown[0]!r}: the scopes are {valid} (admin includes the others)")
    return tuple(s for s in Scope if s.value in names)


def team_id(db: Database, name: str) -> int:
    """The id of the team called ``name``.

    Raises:
        KeyRequestError: no such team, with the command that makes it.
    """
    with db.session() as s:
        found = s.scalar(select(Team.id).where(Team.name == name))
    if found is None:
        raise KeyRequestError(f"no team {name!r}: make it with `callscope teams create {name}`")
    return found


def create_team(db: Database, name: str) -> int:
    """A new team; its id.

    Raises:
        KeyRequestError: a name that is not allowed, or one already taken.
    """
    if not TEAM_NAME.match(name):
        raise KeyRequestError(f"team name {name!r} is not allowed: use letters, digits, '-', '_' and '.' (up to 100)")
    try:
        with db.session.begin() as s:
            team = Team(name=name)
            s.add(team)
            s.flush()
            return team.id
    except IntegrityError:
        raise KeyRequestError(f"a team {name!r} exists already") from None


def create_key(db: Database, name: str, scopes: tuple[Scope, ...], team: str, client: str = "cli") -> str:
    """A new key of ``team`` holding ``scopes``: returned once, only its hash is kept. Leaves a ``key_created``
    audit row (with the scopes, never the key)."""
    if not scopes:
        raise KeyRequestError("give at least one scope")
    owner = team_id(db, team)
    key = "cs_" + secrets.token_urlsafe(32)
    with db.session.begin() as s:
        row = ApiKey(
            name=name,
            key_hash=hash_key(key),
            prefix=key[:10],
            scopes=",".join(scope.value for scope in scopes),
            team_id=owner,
        )
        s.add(row)
        s.flush()
        record(s, Action.KEY_CREATED, team_id=owner, key_id=row.id, client=client, detail=row.scopes)
    return key


def revoke_key(db: Database, which: str, client: str = "cli") -> ApiKey:
    """Revoke the key whose id or prefix (its first 10 characters, as ``keys list`` shows) is ``which``.

    Raises:
        KeyRequestError: no such key, or more than one with that prefix.
    """
    with db.session.begin() as s:
        query = select(ApiKey).where(ApiKey.prefix == which)
        if which.isdigit():
            query = select(ApiKey).where(ApiKey.id == int(which))
        found = s.scalars(query).all()
        if len(found) != 1 or found[0].prefix == "webhook":
            raise KeyRequestError(f"no key {which!r}: give an id or a prefix from `callscope keys list`")
        key = found[0]
        if not key.revoked:
            key.revoked = True
            record(s, Action.KEY_REVOKED, team_id=key.team_id, key_id=key.id, client=client)
        return key


def list_keys(db: Database) -> list[dict]:
    """Every usable-or-revoked key (not the webhooks' internal one), with its team's name and scopes."""
    with db.session() as s:
        rows = s.execute(select(ApiKey, Team.name).join(Team, Team.id == ApiKey.team_id).order_by(ApiKey.id)).all()
    return [
        {
            "id": k.id,
            "prefix": k.prefix,
            "name": k.name,
            "team": team,
            "scopes": k.scopes,
            "revoked": k.revoked,
            "created_at": k.created_at.isoformat(),
        }
        for k, team in rows
        if k.prefix != "webhook"
    ]


def webhook_key_id(db: Database) -> int:
    """The id of the internal key that owns calls posted by webhooks (created on first use, never usable)."""
    with db.session() as s:
        found = s.scalar(select(ApiKey).where(ApiKey.name == WEBHOOK_KEY_NAME, ApiKey.revoked.is_(True)))
        if found is not None:
            return found.id
    try:
        with db.session.begin() as s:
            row = ApiKey(
                name=WEBHOOK_KEY_NAME, key_hash=hash_key(secrets.token_hex(32)), prefix="webhook", revoked=True
            )
            s.add(row)
            s.flush()
            return row.id
    except IntegrityError:
        return webhook_key_id(db)
