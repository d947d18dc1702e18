"""NVD's incremental update: after one download of the yearly files, the next updates fetch only the
``modified`` file (the CVEs added or changed in the last eight days) and replace those CVEs' rows in
the previous snapshot's tables. A record found in the delta replaces every row of its CVE in the three
NVD tables, so a configuration the NVD removed disappears too."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hygie.vulns.feeds.catalogue import NVD_FIRST_YEAR, FeedSpec, nvd_modified_url
from hygie.vulns.feeds.snapshot import FeedEntry, Snapshot, SourceFile, TableFile
from hygie.vulns.feeds.tables import SCHEMAS, TableWriter

# The modified file covers eight days; one day of margin for the time zones and a late cron.
WINDOW = timedelta(days=7)
KEY = "cve_id"


def can_continue(previous: FeedEntry | None, urls: Mapping[str, str], now: datetime) -> bool:
    """True when the snapshot's NVD came from the yearly files (not from a bundle of someone's own
    files, nor the demo's catalogue) and is recent enough for the modified file to bring it up to date."""
    if previous is None or nvd_modified_url(urls) is None:
        return False
    first_year = urls["nvd"].replace("{year}", str(NVD_FIRST_YEAR))
    from_yearly_files = any(source.url == first_year for source in previous.sources)
    return from_yearly_files and now - previous.fetched_at < WINDOW


def merge(
    spec: FeedSpec, current: Snapshot, previous: FeedEntry, delta: FeedEntry, staging: Path
) -> FeedEntry:
    """The previous tables without the delta's CVEs, then the delta's rows, written over the delta's
    files in ``staging``; the entry keeps the yearly sources and records the modified file."""
    changed = pq.read_table(staging / delta.tables[spec.primary].file, columns=[KEY]).column(KEY)
    tables: dict[str, TableFile] = {}
    for table, info in delta.tables.items():
        target = staging / info.file
        merged = target.with_name(target.name + ".merged")
        writer = TableWriter(merged, SCHEMAS[table])
        try:
            old = pq.ParquetFile(current.path / previous.tables[table].file)
            for batch in old.iter_batches(batch_size=65_536):
                kept = pa.Table.from_batches([batch])
                writer.add_table(kept.filter(pc.invert(pc.is_in(kept.column(KEY), value_set=changed))))
            writer.add_table(pq.read_table(target))
        except BaseException:
            writer.abort()
            raise
        written = writer.close()
        merged.replace(target)
        tables[table] = TableFile(file=info.file, rows=written.rows, sha256=written.sha256, size=written.size)
    modified = {s.url for s in delta.sources}
    sources: list[SourceFile] = [s for s in previous.sources if s.url not in modified] + delta.sources
    return delta.model_copy(update={"tables": tables, "rows": tables[spec.primary].rows, "sources": sources})
