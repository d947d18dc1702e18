"""The normalised tables of every feed (Arrow schemas) and the writer that streams rows to Parquet.

Each table is one Parquet file ``<feed>/<table>.parquet`` in a snapshot; table names are unique
across feeds so that DuckDB views can take them as they are (``SELECT * FROM nvd_cpe_match``).
Dates the sources give as days are ``date32``; instants are UTC ``timestamp[us]``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_S = pa.string()
_D = pa.date32()
_T = pa.timestamp("us", tz="UTC")
_F = pa.float64()
_B = pa.bool_()
_I = pa.int32()
_L = pa.list_(pa.string())


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(fields))


# CVSS 3.x (3.1, or 3.0 when the record has no 3.1) and 4.0, the primary (NVD) metric first.
_CVSS = (
    ("cvss3_vector", _S),
    ("cvss3_score", _F),
    ("cvss3_severity", _S),
    ("cvss3_source", _S),
    ("cvss40_vector", _S),
    ("cvss40_score", _F),
    ("cvss40_severity", _S),
    ("cvss40_nomenclature", _S),  # CVSS-B, -BT, -BE or -BTE: which metrics the v4 score includes
    ("cvss40_source", _S),
)

# Bounds and CPE attributes of a cpeMatch: CPE values keep the escapes of the formatted string.
_CPE_MATCH = (
    ("cve_id", _S),
    ("config_index", _I),
    ("config_operator", _S),  # AND or OR (absent in the source = OR)
    ("config_negate", _B),
    ("node_index", _I),
    ("node_operator", _S),
    ("node_negate", _B),
    ("match_index", _I),
    ("vulnerable", _B),
    ("criteria", _S),
    ("part", _S),
    ("vendor", _S),
    ("product", _S),
    ("version", _S),
    ("update", _S),
    ("edition", _S),
    ("language", _S),
    ("sw_edition", _S),
    ("target_sw", _S),
    ("target_hw", _S),
    ("other", _S),
    ("version_start_including", _S),
    ("version_start_excluding", _S),
    ("version_end_including", _S),
    ("version_end_excluding", _S),
    ("match_criteria_id", _S),
)

SCHEMAS: dict[str, pa.Schema] = {
    "kev": _schema(
        ("cve_id", _S),
        ("vendor_project", _S),
        ("product", _S),
        ("vulnerability_name", _S),
        ("date_added", _D),
        ("due_date", _D),
        ("known_ransomware_use", _B),  # "Known" → true, "Unknown" → false
        ("short_description", _S),
        ("required_action", _S),
        ("notes", _S),
        ("cwes", _L),
    ),
    "epss": _schema(("cve_id", _S), ("epss", _F), ("percentile", _F)),
    "nvd_cve": _schema(
        ("cve_id", _S),
        ("source_identifier", _S),
        ("vuln_status", _S),
        ("published", _T),
        ("last_modified", _T),
        ("description", _S),
        ("cwes", _L),
        *_CVSS,
        ("cisa_exploit_add", _D),
        ("configuration_count", _I),
    ),
    "nvd_node": _schema(
        ("cve_id", _S),
        ("config_index", _I),
        ("config_operator", _S),
        ("config_negate", _B),
        ("node_index", _I),
        ("node_operator", _S),
        ("node_negate", _B),
        ("match_count", _I),
    ),
    "nvd_cpe_match": _schema(*_CPE_MATCH),
    "vulnrichment_ssvc": _schema(
        ("cve_id", _S),
        ("exploitation", _S),  # none | public poc | active
        ("automatable", _S),  # no | yes
        ("technical_impact", _S),  # partial | total
        ("ssvc_version", _S),
        ("ssvc_role", _S),
        ("assessed", _T),
        ("kev_date_added", _D),
        ("cvss3_vector", _S),
        ("cvss3_score", _F),
        ("cwes", _L),
        ("record_updated", _T),
    ),
    "vulnrichment_affected": _schema(
        ("cve_id", _S),
        ("container", _S),  # adp (CISA's enrichment, with CPEs) or cna (the assigner's)
        ("vendor", _S),
        ("product", _S),
        ("cpes", _L),
        ("default_status", _S),
        ("status", _S),
        ("version", _S),
        ("less_than", _S),
        ("less_than_or_equal", _S),
        ("version_type", _S),
    ),
    "eol_product": _schema(
        ("product", _S),
        ("label", _S),
        ("category", _S),
        ("tags", _L),
        ("version_command", _S),
        ("release_policy_link", _S),
    ),
    "eol_identifier": _schema(("product", _S), ("type", _S), ("id", _S)),
    # Each support end is a date, or a boolean when the source gives no date (true: ended at an
    # unknown date; false: not ended / not announced): both columns, one of them null.
    "eol_release": _schema(
        ("product", _S),
        ("cycle", _S),
        ("label", _S),
        ("codename", _S),
        ("release_date", _D),
        ("lts_flag", _B),
        ("lts_date", _D),
        ("eoas_flag", _B),
        ("eoas_date", _D),
        ("eol_flag", _B),
        ("eol_date", _D),
        ("eoes_flag", _B),
        ("eoes_date", _D),
        ("discontinued_flag", _B),
        ("discontinued_date", _D),
        ("latest", _S),
        ("latest_date", _D),
        ("link", _S),
    ),
    "csaf_advisory": _schema(
        ("advisory_id", _S),
        ("title", _S),
        ("publisher", _S),
        ("category", _S),
        ("csaf_version", _S),
        ("tlp", _S),
        ("status", _S),
        ("version", _S),
        ("initial_release", _T),
        ("current_release", _T),
        ("url", _S),
        ("file", _S),
    ),
    "csaf_product": _schema(
        ("advisory_id", _S),
        ("product_id", _S),
        ("name", _S),
        ("vendor", _S),
        ("product_name", _S),
        ("version", _S),
        ("version_is_range", _B),  # product_version_range: free text or vers:, to be read by a human
        ("branch_path", _L),
        ("cpe", _S),
        ("purl", _S),
    ),
    "csaf_vulnerability": _schema(
        ("advisory_id", _S),
        ("vuln_index", _I),
        ("cve_id", _S),
        ("title", _S),
        ("cwe_id", _S),
        ("cwe_name", _S),
        ("summary", _S),
    ),
    "csaf_score": _schema(
        ("advisory_id", _S),
        ("vuln_index", _I),
        ("cve_id", _S),
        ("cvss_vector", _S),
        ("cvss_version", _S),
        ("cvss_score", _F),
        ("cvss_severity", _S),
        ("product_ids", _L),
    ),
    "csaf_product_status": _schema(
        ("advisory_id", _S), ("vuln_index", _I), ("cve_id", _S), ("product_id", _S), ("status", _S)
    ),
    "csaf_remediation": _schema(
        ("advisory_id", _S),
        ("vuln_index", _I),
        ("cve_id", _S),
        ("category", _S),  # vendor_fix | mitigation | workaround | none_available | no_fix_planned
        ("details", _S),
        ("url", _S),
        ("product_ids", _L),
    ),
    "certfr_advisory": _schema(
        ("reference", _S),
        ("kind", _S),  # avis | alerte
        ("title", _S),
        ("summary", _S),
        ("risks", _L),
        ("published", _T),
        ("last_revision", _T),
        ("closed_at", _T),
        ("url", _S),
        ("vendor_advisories", _L),
        ("has_details", _B),  # false: only the RSS item was read
    ),
    "certfr_cve": _schema(("reference", _S), ("cve_id", _S)),
    "certfr_affected": _schema(
        ("reference", _S), ("vendor", _S), ("product", _S), ("description", _S), ("scada", _B)
    ),
    "ssvc_decision": _schema(
        ("table_id", _S),
        ("row", _I),
        ("inputs", pa.list_(pa.struct([("name", _S), ("version", _S), ("value", _S)]))),
        ("outcome_name", _S),
        ("outcome", _S),
    ),
}


@dataclass(frozen=True)
class WrittenTable:
    """A Parquet file once closed: where, how many rows, its checksum."""

    path: Path
    rows: int
    sha256: str
    size: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class TableWriter:
    """Buffers rows and writes them as Parquet row groups, so memory stays bounded."""

    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int = 50_000) -> None:
        self.path = path
        self.schema = schema
        self.batch_rows = batch_rows
        self.rows = 0
        self._buffer: list[dict[str, Any]] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_rows:
            self._flush()

    def add_table(self, table: pa.Table) -> None:
        """Rows already in Arrow form (a filtered earlier snapshot), written as they are."""
        self._flush()
        if table.num_rows:
            self._writer.write_table(table.select(self.schema.names).cast(self.schema))
            self.rows += table.num_rows

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=self.schema))
            self.rows += len(self._buffer)
            self._buffer = []

    def close(self) -> WrittenTable:
        self._flush()
        self._writer.close()
        return WrittenTable(self.path, self.rows, file_sha256(self.path), self.path.stat().st_size)

    def abort(self) -> None:
        self._buffer = []
        self._writer.close()
