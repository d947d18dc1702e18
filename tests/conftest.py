"""Database fixtures: every database test runs on SQLite and on PostgreSQL, in a transaction
rolled back at the end.

PostgreSQL comes from HYGIE_TEST_POSTGRES_URL (``make test`` starts a throwaway cluster and sets
it). Without it the PostgreSQL half fails, unless HYGIE_TEST_SKIP_POSTGRES=1 is set by hand for a
quick local run: CI never sets it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from hygie.core.db import make_engine
from hygie.core.migrate import upgrade
from hygie.core.settings import get_settings

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SHARED_DATA = SHARED / "data"

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: the tests read ../shared beside the checkout")
    return SHARED_DATA


def _postgres_url() -> str:
    url = os.environ.get("HYGIE_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("HYGIE_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL skipped by HYGIE_TEST_SKIP_POSTGRES=1")
    pytest.fail("HYGIE_TEST_POSTGRES_URL is not set: run the tests through `make test`")


@pytest.fixture(scope="session")
def _engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()
    if "postgresql" in engines:
        base = make_engine(_postgres_url())
        name = engines["postgresql"].url.database
        with base.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        base.dispose()


def _engine_for(backend: str, engines: dict[str, Engine], tmp: Path) -> Engine:
    if backend not in engines:
        if backend == "sqlite":
            engine = make_engine(f"sqlite:///{tmp / 'test.db'}")
        else:
            base = make_engine(_postgres_url())
            # One database per test process, so that parallel runs never share one.
            name = f"hygie_test_{os.getpid()}"
            with base.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            base.dispose()
            engine = make_engine(base.url.set(database=name).render_as_string(hide_password=False))
        upgrade(engine)
        engines[backend] = engine
    return engines[backend]


@pytest.fixture(params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, _engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    return _engine_for(request.param, _engines, tmp_path_factory.mktemp(request.param))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end, commits included (they become savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(autouse=True, scope="session")
def _never_the_real_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A test that forgets ``hygie_home`` writes into a throwaway home, never the user's own."""
    previous = os.environ.get("HYGIE_HOME")
    os.environ["HYGIE_HOME"] = str(tmp_path_factory.mktemp("default-home"))
    get_settings.cache_clear()
    yield
    if previous is None:
        os.environ.pop("HYGIE_HOME", None)
    else:
        os.environ["HYGIE_HOME"] = previous
    get_settings.cache_clear()


@pytest.fixture
def hygie_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty HYGIE_HOME with the embedded SQLite database, for CLI and demo tests."""
    home = tmp_path / "home"
    monkeypatch.setenv("HYGIE_HOME", str(home))
    monkeypatch.delenv("HYGIE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    from hygie.core.db import get_engine

    get_engine.cache_clear()
    yield home
    get_settings.cache_clear()
    get_engine.cache_clear()
