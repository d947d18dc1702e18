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
    feeds_max_row_loss: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description="Largest share of a feed's rows an update may lose before it is refused (0.2 = 20 %).",
    )
    feeds_keep: int = Field(
        default=3, ge=2, description="Feed snapshots kept on disk, the current one included."
    )
    feeds_max_age_days: int = Field(
        default=7, ge=1, description="A feed older than this is flagged as stale."
    )
    feeds_timeout_seconds: float = Field(default=120.0, gt=0, description="Timeout of each feed download.")
    feeds_max_file_mb: int = Field(
        default=4096,
        ge=1,
        description="Largest file accepted in a feed download or an offline bundle, in MB.",
    )
    feeds_urls: dict[str, str] = Field(
        default_factory=dict,
        description="JSON map: feed source name → URL replacing the official one (an internal mirror).",
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

    @property
    def feeds_dir(self) -> Path:
        """Vulnerability feed snapshots (``hygie feeds``): one folder per download, Parquet inside."""
        return self.home / "feeds"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
