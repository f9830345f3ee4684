"""Alembic environment: always run on a connection handed over by ``open_store``."""

from __future__ import annotations

from alembic import context

from accountleader.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only open_store runs migrations
    raise RuntimeError("run migrations through accountleader.store.open_store(url)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
