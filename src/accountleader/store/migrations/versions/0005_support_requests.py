"""Support requests (issue 15): requests framed as outcomes, their history (one row per changed
field), and users' email addresses for notifications.

Revision ID: 0005_support_requests
Revises: 0004_support_maps
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountleader.domain import requests as rq
from accountleader.store.models import UTCDateTime

revision = "0005_support_requests"
down_revision = "0004_support_maps"
branch_labels = None
depends_on = None


def _in(column: str, choices: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{c}'" for c in choices) + ")"


def _user_fk(table: str, column: str, ondelete: str | None = None) -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete=ondelete, name=f"fk_{table}_{column}_users")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
    op.create_table(
        "support_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column("constraints", sa.Text(), nullable=True),
        sa.Column("opportunity_id", sa.String(64), nullable=True),
        sa.Column("quote_id", sa.String(64), nullable=True),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("requester_id", sa.Integer(), _user_fk("support_requests", "requester_id"), nullable=False),
        sa.Column("assignee_id", sa.Integer(), _user_fk("support_requests", "assignee_id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=True),
        sa.Column("proposal_rationale", sa.Text(), nullable=True),
        sa.Column("reply", sa.String(12), nullable=True),
        sa.Column("proposed_at", UTCDateTime(), nullable=True),
        sa.Column("decision", sa.String(8), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("consulted", sa.Boolean(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("achieved", sa.Boolean(), nullable=True),
        sa.Column("quality_note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("kind", rq.KINDS), name="ck_support_requests_kind"),
        sa.CheckConstraint(_in("status", rq.STATUSES), name="ck_support_requests_status"),
        sa.CheckConstraint("reply IS NULL OR " + _in("reply", rq.REPLIES), name="ck_support_requests_reply"),
        sa.CheckConstraint("decision IS NULL OR " + _in("decision", rq.DECISIONS),
                           name="ck_support_requests_decision"),
    )
    for column in ("opportunity_id", "requester_id", "assignee_id"):
        op.create_index(f"ix_support_requests_{column}", "support_requests", [column])
    op.create_table(
        "support_request_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey(
            "support_requests.id", ondelete="CASCADE", name="fk_support_request_events_request_id_support_requests"),
            nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.Integer(), _user_fk("support_request_events", "by", "SET NULL"), nullable=True),
        sa.Column("actor", sa.String(150), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("field", sa.String(30), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
    )
    op.create_index("ix_support_request_events_request_id", "support_request_events", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_support_request_events_request_id", table_name="support_request_events")
    op.drop_table("support_request_events")
    for column in ("assignee_id", "requester_id", "opportunity_id"):
        op.drop_index(f"ix_support_requests_{column}", table_name="support_requests")
    op.drop_table("support_requests")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
