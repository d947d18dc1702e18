"""Settings, read from the environment (prefix ``HYGIE_``) once per process.

``HYGIE_HOME`` is where everything lives (database, evidence files, event store, reports);
by default the user data directory of the platform. ``HYGIE_DATABASE_URL`` replaces the
embedded SQLite database by any SQLAlchemy URL (PostgreSQL through psycopg 3).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return user_data_path("hygie", appauthor=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HYGIE_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="Folder holding all of Hygie's state.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; the embedded SQLite file in HYGIE_HOME when unset."
    )
    lang: str = Field(default="fr", description="Default language of screens and reports (fr or en).")
    cookie_secure: bool = Field(
        default=True,
        description="Web cookies are Secure (HTTPS only); false only to try http://127.0.0.1 in development.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'hygie.db'}"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def library_dir(self) -> Path:
        """User referential files, loaded beside the shipped library."""
        return self.home / "library"

    @property
    def evidence_dir(self) -> Path:
        return self.home / "evidence"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
