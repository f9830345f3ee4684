"""Support maps (issue 14): per deal the stakeholders and backers people entered, the map's
version, and its history (one row per changed field, old -> new).

Revision ID: 0004_support_maps
Revises: 0003_playbooks
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accountleader.domain import support_map as sm
from accountleader.store.models import UTCDateTime

revision = "0004_support_maps"
down_revision = "0003_playbooks"
branch_labels = None
depends_on = None


def _in(column: str, choices: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{c}'" for c in choices) + ")"


def _map_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("support_maps.opportunity_id", ondelete="CASCADE",
                         name=f"fk_{table}_opportunity_id_support_maps")


def upgrade() -> None:
    op.create_table(
        "support_maps",
        sa.Column("opportunity_id", sa.String(64), primary_key=True),
        sa.Column("owner_id", sa.String(64), nullable=True),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(150), nullable=True),
    )
    op.create_index("ix_support_maps_owner_id", "support_maps", ["owner_id"])
    op.create_table(
        "support_map_stakeholders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opportunity_id", sa.String(64), _map_fk("support_map_stakeholders"), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("stance", sa.String(16), nullable=False),
        sa.Column("influence", sa.String(8), nullable=False),
        sa.Column("access", sa.String(8), nullable=False),
        sa.Column("via_contact_id", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("opportunity_id", "contact_id", name="uq_support_map_stakeholders_opportunity_id"),
        sa.CheckConstraint(_in("stance", sm.STANCES), name="ck_support_map_stakeholders_stance"),
        sa.CheckConstraint(_in("influence", sm.INFLUENCE), name="ck_support_map_stakeholders_influence"),
        sa.CheckConstraint(_in("access", sm.ACCESS), name="ck_support_map_stakeholders_access"),
    )
    op.create_index("ix_support_map_stakeholders_opportunity_id", "support_map_stakeholders", ["opportunity_id"])
    op.create_table(
        "support_map_backers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opportunity_id", sa.String(64), _map_fk("support_map_backers"), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("function", sa.String(20), nullable=False),
        sa.Column("ask", sa.Text(), nullable=True),
        sa.Column("commitment", sa.String(12), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.UniqueConstraint("opportunity_id", "user_id", name="uq_support_map_backers_opportunity_id"),
        sa.CheckConstraint(_in("function", sm.BACKER_FUNCTIONS), name="ck_support_map_backers_function"),
        sa.CheckConstraint(_in("commitment", sm.COMMITMENTS), name="ck_support_map_backers_commitment"),
    )
    op.create_index("ix_support_map_backers_opportunity_id", "support_map_backers", ["opportunity_id"])
    op.create_index("ix_support_map_backers_user_id", "support_map_backers", ["user_id"])
    op.create_table(
        "support_map_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opportunity_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(150), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("subject_name", sa.String(255), nullable=True),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
    )
    op.create_index("ix_support_map_events_opportunity_id", "support_map_events", ["opportunity_id"])


def downgrade() -> None:
    op.drop_index("ix_support_map_events_opportunity_id", table_name="support_map_events")
    op.drop_table("support_map_events")
    op.drop_index("ix_support_map_backers_user_id", table_name="support_map_backers")
    op.drop_index("ix_support_map_backers_opportunity_id", table_name="support_map_backers")
    op.drop_table("support_map_backers")
    op.drop_index("ix_support_map_stakeholders_opportunity_id", table_name="support_map_stakeholders")
    op.drop_table("support_map_stakeholders")
    op.drop_index("ix_support_maps_owner_id", table_name="support_maps")
    op.drop_table("support_maps")
