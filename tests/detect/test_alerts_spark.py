"""Detection with Spark (local[2]) raises the same alerts as with DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import service
from hygie.detect.ingest import ingest_paths
from hygie.detect.sigma.compiler import compile_paths
from tests.detect.alerts_data import evtx_files, rules_folder
from tests.factories import make_establishment


def test_spark_gives_the_same_alerts(
    session: Session, store_settings: Settings, tmp_path: Path, spark: Any
) -> None:
    rules = compile_paths([rules_folder(tmp_path / "rules")])
    est = make_establishment(session)
    ingest_paths(store_settings, est.id, evtx_files(), "auto")
    report = service.run_detection_spark(session, store_settings, est.id, rules, spark)
    assert (report.hits, report.created) == (9, 4)
    spark_alerts = sorted((a.key, a.event_count, a.host) for a in service.list_alerts(session, est.id))
    again = service.run_detection(session, store_settings, est.id, rules)  # DuckDB over the same events
    assert (again.created, again.updated) == (0, 0)
    assert (
        sorted((a.key, a.event_count, a.host) for a in service.list_alerts(session, est.id)) == spark_alerts
    )
