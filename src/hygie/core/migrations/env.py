"""Alembic environment: the engine is handed in by hygie.core.migrate, never read from an ini file."""

from __future__ import annotations

from alembic import context

import hygie.models  # noqa: F401  (registers every table on Base.metadata)
from hygie.core.db import Base, make_engine
from hygie.core.settings import get_settings

config = context.config
engine = config.attributes.get("engine") or make_engine(get_settings().resolved_database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
