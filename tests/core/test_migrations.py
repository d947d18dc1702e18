from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import hygie.models  # noqa: F401
from hygie.core.db import Base


def test_migrations_match_the_models(engine: Engine) -> None:
    """A model changed without its migration would make the two databases drift."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
