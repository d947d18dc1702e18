"""Log ingestion: one reader per format (EVTX, NDJSON, syslog, Postfix, M365 message trace, metrics CSV)."""

from hygie.detect.ingest.pipeline import (
    READERS,
    FileResult,
    IngestReport,
    detect_source,
    ingest_file,
    ingest_paths,
)

__all__ = ["READERS", "FileResult", "IngestReport", "detect_source", "ingest_file", "ingest_paths"]
