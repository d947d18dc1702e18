"""Reading the current snapshot: one DuckDB view per table (``kev``, ``epss``, ``nvd_cve``,
``nvd_cpe_match``…), over the snapshot's Parquet files. Matching and prioritisation read the feeds
this way only, so they never depend on where or how the files are stored.

```python
with connect() as db:
    db.execute("SELECT cve_id, date_added FROM kev WHERE cve_id = ?", ["CVE-2023-43208"]).fetchall()
```
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from hygie.core.i18n import N_
from hygie.core.settings import Settings, get_settings
from hygie.vulns.feeds.errors import FeedError
from hygie.vulns.feeds.snapshot import FeedStore, Snapshot


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(snapshot: Snapshot | None = None, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view per table of ``snapshot`` (default: the current)."""
    if snapshot is None:
        snapshot = FeedStore((settings or get_settings()).feeds_dir).current()
        if snapshot is None:
            raise FeedError(
                N_("no feed snapshot yet: run `hygie feeds update` or `hygie feeds import` first")
            )
    db = duckdb.connect(":memory:")
    for entry in snapshot.manifest.feeds.values():
        for table, info in entry.tables.items():
            # Table names come from the catalogue (plain identifiers), paths are quoted literals.
            source = _literal(snapshot.path / info.file)
            db.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({source})")  # noqa: S608
    return db
