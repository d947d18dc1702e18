"""Alembic migrations, run programmatically: the CLI brings the database up to date on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from hygie.core.errors import HygieError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    try:
        command.upgrade(alembic_config(engine), revision)
    except CommandError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise HygieError(
            f"the database {where} cannot be brought to this version of Hygie's schema ({exc}); "
            "it was probably made by another version: restore it with that version, or point "
            "HYGIE_HOME / HYGIE_DATABASE_URL to another database"
        ) from exc
