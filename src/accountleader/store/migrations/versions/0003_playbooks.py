"""Playbooks with owners: the playbook, its history (who changed what, when) and its alerts.

Revision ID: 0003_playbooks
Revises: 0002_accounts
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountleader.store.models import UTCDateTime

revision = "0003_playbooks"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playbooks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("subject_name", sa.String(255), nullable=True),
        sa.Column("subject_owner_id", sa.String(64), nullable=True),
        sa.Column("subject_account_id", sa.String(64), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("trigger_kind", sa.String(40), nullable=False),
        sa.Column("trigger_params", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(),
                  sa.ForeignKey("users.id", name="fk_playbooks_owner_user_id_users"), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger_state", sa.String(8), nullable=False),
        sa.Column("fired_as_of", UTCDateTime(), nullable=True),
        sa.Column("last_checked_as_of", UTCDateTime(), nullable=True),
        sa.Column("last_check", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(150), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(150), nullable=True),
        sa.CheckConstraint("subject_kind IN ('opportunity', 'account')", name="ck_playbooks_subject_kind"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_playbooks_status"),
        sa.CheckConstraint("trigger_state IN ('armed', 'fired')", name="ck_playbooks_trigger_state"),
    )
    op.create_index("ix_playbooks_subject_id", "playbooks", ["subject_id"])
    op.create_index("ix_playbooks_subject_owner_id", "playbooks", ["subject_owner_id"])
    op.create_index("ix_playbooks_owner_user_id", "playbooks", ["owner_user_id"])
    op.create_table(
        "playbook_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("playbook_id", sa.Integer(),
                  sa.ForeignKey("playbooks.id", ondelete="CASCADE", name="fk_playbook_events_playbook_id_playbooks"),
                  nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(150), nullable=True),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=True),
    )
    op.create_index("ix_playbook_events_playbook_id", "playbook_events", ["playbook_id"])
    op.create_table(
        "playbook_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("playbook_id", sa.Integer(),
                  sa.ForeignKey("playbooks.id", ondelete="CASCADE", name="fk_playbook_alerts_playbook_id_playbooks"),
                  nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="SET NULL", name="fk_playbook_alerts_owner_user_id_users"),
                  nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.UniqueConstraint("playbook_id", "as_of", name="uq_playbook_alerts_playbook_id_as_of"),
    )
    op.create_index("ix_playbook_alerts_playbook_id", "playbook_alerts", ["playbook_id"])


def downgrade() -> None:
    op.drop_index("ix_playbook_alerts_playbook_id", table_name="playbook_alerts")
    op.drop_table("playbook_alerts")
    op.drop_index("ix_playbook_events_playbook_id", table_name="playbook_events")
    op.drop_table("playbook_events")
    for column in ("owner_user_id", "subject_owner_id", "subject_id"):
        op.drop_index(f"ix_playbooks_{column}", table_name="playbooks")
    op.drop_table("playbooks")
