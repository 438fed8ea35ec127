"""Alembic environment for the side tables; run through storage.ensure_schema only."""

from __future__ import annotations

from alembic import context

from storage._models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # Our own version table, so Optuna's alembic history and ours never collide.
    version_table="sweep_alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
