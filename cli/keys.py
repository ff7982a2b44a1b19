"""``callscope keys`` and ``callscope teams``: API keys, their scopes and their teams (:mod:`store.keys`)."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parsers"]


def _db():
    from store.db import database
    from store.settings import ServiceSettings

    return database(ServiceSettings.from_env().database_url)


def _create(args: argparse.Namespace) -> int:
    from store.keys import create_key, parse_scopes

    scopes = parse_scopes(args.scope)
    key = create_key(_db(), args.name, scopes, args.team)
    print(key)
    shown = ",".join(s.value for s in scopes)
    print(
        f"API key for {args.name!r} (team {args.team!r}, scope {shown}): shown once, only its hash is stored.",
        file=sys.stderr,
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from store.keys import list_keys

    for row in list_keys(_db()):
        print(json.dumps(row))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from store.keys import revoke_key

    key = revoke_key(_db(), args.key)
    print(f"revoked key {key.id} ({key.prefix}..., {key.name!r}); requests with it now get 401")
    return 0


def _team_create(args: argparse.Namespace) -> int:
    from store.keys import create_team

    team = create_team(_db(), args.name)
    print(f"team {args.name!r} created (id {team}); give it keys with `callscope keys create --team {args.name}`")
    return 0


def _days(text: str) -> int | None:
    """A retention on the command line: whole days (1-36500), or ``none`` (kept until deleted)."""
    if text.lower() in ("none", "forever"):
        return None
    if not text.isdigit() or not 1 <= int(text) <= 36500:
        raise argparse.ArgumentTypeError(f"{text!r} is not a retention: give whole days (1-36500) or 'none'")
    return int(text)


def _team_set(args: argparse.Namespace) -> int:
    from store.db import Team
    from store.keys import team_id

    db = _db()
    found = team_id(db, args.name)
    with db.session.begin() as s:
        team = s.get(Team, found)
        for name in ("audio_retention_days", "report_retention_days"):
            if getattr(args, name) != "unset":
                setattr(team, name, getattr(args, name))
        shown = {
            "name": team.name,
            "audio_retention_days": team.audio_retention_days,
            "report_retention_days": team.report_retention_days,
        }
    print(json.dumps(shown))
    return 0


def _team_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from store.db import Team

    with _db().session() as s:
        for team in s.scalars(select(Team).order_by(Team.id)):
            row = {"id": team.id, "name": team.name, "created_at": team.created_at.isoformat()}
            row |= {
                "audio_retention_days": team.audio_retention_days,
                "report_retention_days": team.report_retention_days,
            }
            print(json.dumps(row))
    return 0


def add_parsers(sub) -> None:
    """Add ``keys`` and ``teams`` to the ``callscope`` command's subcommands."""
    p = sub.add_parser("keys", help="manage API keys")
    keys = p.add_subparsers(dest="keys_command", required=True)
    k = keys.add_parser("create", help="create an API key and print it once")
    k.add_argument("--name", required=True, help="who the key is for, e.g. qa-team")
    k.add_argument(
        "--scope",
        required=True,
        help="what it may do, comma-separated: ingest (upload), read (calls, reports, audio, pages), "
        "admin (all of those, delete and the audit trail)",
    )
    k.add_argument("--team", default="default", help="the team whose calls it sees (default: default)")
    k.set_defaults(func=_create)
    k = keys.add_parser("list", help="list keys (id, prefix, name, team, scopes, revoked), one JSON line each")
    k.set_defaults(func=_list)
    k = keys.add_parser("revoke", help="revoke a key: its requests get 401 from then on")
    k.add_argument("key", help="the key's id or prefix, as `callscope keys list` shows them")
    k.set_defaults(func=_revoke)

    p = sub.add_parser("teams", help="manage teams (a key sees its own team's calls only)")
    teams = p.add_subparsers(dest="teams_command", required=True)
    t = teams.add_parser("create", help="create a team")
    t.add_argument("name", help="letters, digits, '-', '_' and '.'")
    t.set_defaults(func=_team_create)
    t = teams.add_parser("list", help="list teams, one JSON line each")
    t.set_defaults(func=_team_list)
    t = teams.add_parser("set", help="set a team's retention (`callscope purge` deletes what is older)")
    t.add_argument("name")
    for what, help_ in (("audio", "a finished call's recording"), ("report", "a finished call's report and record")):
        t.add_argument(
            f"--{what}-retention-days",
            type=_days,
            default="unset",
            metavar="DAYS",
            help=f"days {help_} is kept, or 'none' to keep it until deleted",
        )
    t.set_defaults(func=_team_set)
