"""Transactions behave the same on SQLite as on PostgreSQL: the outer transaction decides."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hygie.org.models import Establishment
from tests.factories import make_establishment


def _count(engine: Engine) -> int:
    with Session(engine) as other:
        return other.scalar(select(func.count()).select_from(Establishment)) or 0


def test_a_released_savepoint_is_undone_by_the_outer_rollback(engine: Engine) -> None:
    before = _count(engine)
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    make_establishment(session)
    session.commit()  # releases the savepoint: with sqlite3's own transactions this committed
    assert _count(engine) == before
    session.close()
    outer.rollback()
    connection.close()
    assert _count(engine) == before


def test_a_failed_write_leaves_nothing_behind(engine: Engine) -> None:
    before = _count(engine)
    with Session(engine) as session:
        make_establishment(session)
        session.flush()
        session.rollback()
    assert _count(engine) == before
