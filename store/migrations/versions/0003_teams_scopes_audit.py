"""Teams (with their retention settings), key scopes, the customer reference of a call, its unredacted
recording's key, and the audit trail (issue 17).

Every key and call already stored joins the team ``default`` (id 1), and every existing key becomes
``admin`` of it, so that it keeps working as before.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    teams = op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audio_retention_days", sa.Integer(), nullable=True),
        sa.Column("report_retention_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.bulk_insert(teams, [{"id": 1, "name": "default", "created_at": datetime.now(UTC)}])
    if op.get_bind().dialect.name == "postgresql":  # the explicit id 1 leaves the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('teams', 'id'), (SELECT max(id) FROM teams))")
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("scopes", sa.String(length=32), nullable=False, server_default="admin"))
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=False, server_default="1"))
        batch.create_foreign_key("fk_api_keys_team_id", "teams", ["team_id"], ["id"])
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("customer_ref", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("original_audio_key", sa.String(length=64), nullable=True))
        batch.create_foreign_key("fk_calls_team_id", "teams", ["team_id"], ["id"])
        batch.create_index("ix_calls_team_id", ["team_id"])
        batch.create_index("ix_calls_customer_ref", ["customer_ref"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_team_id", "audit_events", ["team_id"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_call_id", "audit_events", ["call_id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    with op.batch_alter_table("calls") as batch:
        batch.drop_index("ix_calls_customer_ref")
        batch.drop_index("ix_calls_team_id")
        batch.drop_constraint("fk_calls_team_id", type_="foreignkey")
        batch.drop_column("original_audio_key")
        batch.drop_column("customer_ref")
        batch.drop_column("team_id")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_team_id", type_="foreignkey")
        batch.drop_column("team_id")
        batch.drop_column("scopes")
    op.drop_table("teams")
