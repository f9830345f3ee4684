"""Account hardening: API tokens expire and carry a scope; an audit log.

Tokens made before this migration keep the write access they had and expire 90 days from now.

Revision ID: 0002_accounts
Revises: 0001_initial
Create Date: 2025-02-01
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from accountleader.store.models import UTCDateTime

revision = "0002_accounts"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("can_write", sa.Boolean(), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", UTCDateTime()), sa.column("can_write", sa.Boolean()))
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=90), can_write=True))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=UTCDateTime(), nullable=False)
        batch.alter_column("can_write", existing_type=sa.Boolean(), nullable=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(150), nullable=True),
        sa.Column("subject", sa.String(150), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("can_write")
        batch.drop_column("expires_at")
