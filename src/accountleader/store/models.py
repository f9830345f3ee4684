"""The application database's tables: people, their sessions and tokens, settings, the audit log, playbooks,
support maps, support requests.

CRM data never lives here; it stays in the analytics engine. These tables are small and
transactional, and the same models run on SQLite (one team member) and PostgreSQL (a team).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..domain import requests as rq
from ..domain import support_map as sm
from ..domain.access import ROLES


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the app database; use UTC-aware values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # Named constraints, so the migration and the models agree on every backend.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


_ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # The CRM user id (Salesforce User.Id) this person is, for scoping; admins may have none.
    crm_user_id: Mapped[str | None] = mapped_column(String(64), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    # Where notifications go (issue 15, migration 0005); none: this person gets no email.
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebSession(Base):
    """A browser login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ApiToken(Base):
    """A bearer token for scripts. Shown once at creation; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Every token expires; a read-only token (the default) is refused on any POST/PUT.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    can_write: Mapped[bool] = mapped_column(default=False)


class Setting(Base):
    """A workspace setting override or app-level value, stored as JSON text."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class AuditEvent(Base):
    """Who did what, when, from where: logins (good and bad) and every admin action.

    Names are kept as text, not foreign keys, so the record outlives the user.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(150), default=None)
    subject: Mapped[str | None] = mapped_column(String(150), default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    success: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[str | None] = mapped_column(Text, default=None)


class Playbook(Base):
    """A playbook: for one top risk (a deal or an account), the trigger that detects it, the
    actions, the owner and the due date. ``version`` is bumped by every edit a person makes:
    an edit made to an older version is refused (optimistic concurrency)."""

    __tablename__ = "playbooks"
    __table_args__ = (
        CheckConstraint("subject_kind IN ('opportunity', 'account')", name="subject_kind"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("trigger_state IN ('armed', 'fired')", name="trigger_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_name: Mapped[str | None] = mapped_column(String(255), default=None)
    # The CRM owner of the deal or account and the account it is at, refreshed at every
    # analyze: who may see the playbook is decided by these (a Scope filter in the query).
    subject_owner_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    subject_account_id: Mapped[str | None] = mapped_column(String(64), default=None)
    title: Mapped[str] = mapped_column(String(200))
    trigger_kind: Mapped[str] = mapped_column(String(40))
    trigger_params: Mapped[str] = mapped_column(Text)  # JSON object
    actions: Mapped[str] = mapped_column(Text)
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="open")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # armed: fires at the next analyze whose results meet the trigger; fired: it did, at fired_as_of
    trigger_state: Mapped[str] = mapped_column(String(8), default="armed")
    fired_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_checked_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_check: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(150), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(150), default=None)


class PlaybookEvent(Base):
    """A playbook's history: who changed what, when (``changes``: JSON {field: [before, after]}).
    Names are text, so the record outlives the user; ``analyze`` notes firings and re-arming."""

    __tablename__ = "playbook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(150), default=None)
    event: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    changes: Mapped[str | None] = mapped_column(Text, default=None)


class PlaybookAlert(Base):
    """A trigger that fired: once per playbook per firing, at the first analyze whose results
    met it, with the evidence and the owner it was for."""

    __tablename__ = "playbook_alerts"
    __table_args__ = (UniqueConstraint("playbook_id", "as_of", name="uq_playbook_alerts_playbook_id_as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    evidence: Mapped[str] = mapped_column(Text)


class SupportMapRecord(Base):
    """A deal's support map as people entered it (issue 14): its version and last change. The
    rows are in support_map_stakeholders and support_map_backers; the CRM draft they are laid
    over is a result table (support_map_draft). ``owner_id`` and ``account_id``: the deal's CRM
    owner and account at the last write, for the Scope filter of reads that start here."""

    __tablename__ = "support_maps"

    opportunity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    account_id: Mapped[str | None] = mapped_column(String(64), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(150), default=None)


def _in(column: str, choices: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{c}'" for c in choices) + ")"


class SupportStakeholder(Base):
    """One buyer on one deal's support map, confirmed or entered by a person."""

    __tablename__ = "support_map_stakeholders"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "contact_id", name="uq_support_map_stakeholders_opportunity_id"),
        CheckConstraint(_in("stance", sm.STANCES), name="stance"),
        CheckConstraint(_in("influence", sm.INFLUENCE), name="influence"),
        CheckConstraint(_in("access", sm.ACCESS), name="access"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("support_maps.opportunity_id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[str] = mapped_column(String(64))
    stance: Mapped[str] = mapped_column(String(16))
    influence: Mapped[str] = mapped_column(String(8))
    access: Mapped[str] = mapped_column(String(8))
    via_contact_id: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class SupportBacker(Base):
    """One of our people asked to back a deal's proposal (``user_id``: the CRM user id)."""

    __tablename__ = "support_map_backers"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "user_id", name="uq_support_map_backers_opportunity_id"),
        CheckConstraint(_in("function", sm.BACKER_FUNCTIONS), name="function"),
        CheckConstraint(_in("commitment", sm.COMMITMENTS), name="commitment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("support_maps.opportunity_id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    function: Mapped[str] = mapped_column(String(20))
    ask: Mapped[str | None] = mapped_column(Text, default=None)
    commitment: Mapped[str] = mapped_column(String(12))
    due_date: Mapped[date | None] = mapped_column(Date, default=None)


class SupportMapEvent(Base):
    """A support map's history: one row per field a write changed, ``old`` → ``new`` (text, as
    shown), on the person (``subject_name``, kept as text so it outlives a rename) of ``kind``
    stakeholder or backer. ``version``: the map's version that write made."""

    __tablename__ = "support_map_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(150), default=None)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str | None] = mapped_column(String(255), default=None)
    field: Mapped[str] = mapped_column(String(20))
    old: Mapped[str | None] = mapped_column(Text, default=None)
    new: Mapped[str | None] = mapped_column(Text, default=None)


class SupportRequestRecord(Base):
    """A support request framed as an outcome (issue 15; :mod:`accountleader.domain.requests`):
    asked by ``requester_id`` of ``assignee_id`` (app users), proposed, decided, done or
    cancelled. ``version`` is bumped by every change (optimistic concurrency); ``on_time`` is
    derived from ``done_at`` and ``needed_by``, never stored."""

    __tablename__ = "support_requests"
    __table_args__ = (
        CheckConstraint(_in("kind", rq.KINDS), name="kind"),
        CheckConstraint(_in("status", rq.STATUSES), name="status"),
        CheckConstraint("reply IS NULL OR " + _in("reply", rq.REPLIES), name="reply"),
        CheckConstraint("decision IS NULL OR " + _in("decision", rq.DECISIONS), name="decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(Text)
    needed_by: Mapped[date] = mapped_column(Date)
    constraints: Mapped[str | None] = mapped_column(Text, default=None)
    opportunity_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    quote_id: Mapped[str | None] = mapped_column(String(64), default=None)
    account_id: Mapped[str | None] = mapped_column(String(64), default=None)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="asked")
    proposal: Mapped[str | None] = mapped_column(Text, default=None)
    proposal_rationale: Mapped[str | None] = mapped_column(Text, default=None)
    reply: Mapped[str | None] = mapped_column(String(12), default=None)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decision: Mapped[str | None] = mapped_column(String(8), default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    consulted: Mapped[bool | None] = mapped_column(default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    achieved: Mapped[bool | None] = mapped_column(default=None)
    quality_note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SupportRequestEvent(Base):
    """A request's history: one row per field a change touched, ``old`` → ``new`` (text, as
    shown), with the ``action`` (add, propose, decide, done, cancel), who (``by``: the app user
    id; ``actor``: their username, kept as text so it outlives the user) and the ``version``
    that change made."""

    __tablename__ = "support_request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str | None] = mapped_column(String(150), default=None)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))
    field: Mapped[str] = mapped_column(String(30))
    old: Mapped[str | None] = mapped_column(Text, default=None)
    new: Mapped[str | None] = mapped_column(Text, default=None)
