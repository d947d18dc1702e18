"""The part of an import that keeps a vulnerability scanner's findings (``ScanFinding``), apart so
that ``service`` stays readable; only ``service.import_assets`` calls it, in its transaction.

A report replaces what the earlier reports of the same scanner said of the host: a finding it no
longer lists is gone (fixed, or not seen any more), one it lists again keeps its row (and the import
that first brought it) with the new values. A report older than the findings already kept changes
nothing: importing last month's report after today's must not bring back what was fixed since.
"""

from __future__ import annotations

from datetime import datetime

from hygie.assets.models import Asset, AssetImport, Importer, ScanFinding
from hygie.assets.schemas import AssetRecord, FieldChange, ScanFindingRecord

FIELD = "finding"  # the name of these changes in an import's report

_VALUES = ("name", "family", "severity", "cvss_vector", "threat", "qod", "solution_type", "solution")


def describe(port: str, name: str, severity: float) -> str:
    return f"{port} {name} ({severity:.1f})"


def merge_findings(
    asset: Asset,
    record: AssetRecord,
    importer: Importer,
    batch: AssetImport,
    warnings: list[str],
    written: set[tuple[str, str]],
) -> list[FieldChange]:
    """Replaces the asset's findings from ``importer`` by the record's; the changes, for the report.

    ``written``: the findings this import already gave the asset (two hosts of one report, its IPv4
    and IPv6 addresses, may be one asset): they are kept, and the record's are added to them.
    """
    if importer is not Importer.OPENVAS:
        return []
    seen = record.observed_at or batch.imported_at
    current = {(f.nvt_oid, f.port): f for f in asset.scan_findings if f.source is importer}
    latest = max((f.seen_at for f in current.values()), default=None)
    newest = max([seen, *(f.seen_at for f in record.scan_findings if f.seen_at)])
    if latest is not None and newest < latest:
        warnings.append(
            f"{batch.file_name}: {asset.name}: this report is older than the scanner findings already "
            "kept for the asset: they were left as they are"
        )
        return []
    wanted = {f.key: f for f in record.scan_findings}
    changes: list[FieldChange] = []
    for key, gone in current.items():
        if key not in wanted and key not in written:
            asset.scan_findings.remove(gone)
            changes.append(FieldChange(field=FIELD, old=describe(gone.port, gone.name, gone.severity)))
    for key, finding in wanted.items():
        row = current.get(key)
        if row is None:
            asset.scan_findings.append(_row(finding, importer, batch, seen))
            changes.append(
                FieldChange(field=FIELD, new=describe(finding.port, finding.name, finding.severity))
            )
            continue
        before = describe(row.port, row.name, row.severity)
        _update(row, finding, seen)
        if describe(row.port, row.name, row.severity) != before:
            changes.append(
                FieldChange(field=FIELD, old=before, new=describe(row.port, row.name, row.severity))
            )
    written.update(wanted)
    return changes


def _row(finding: ScanFindingRecord, importer: Importer, batch: AssetImport, seen: datetime) -> ScanFinding:
    row = ScanFinding(source=importer, nvt_oid=finding.nvt_oid, port=finding.port, import_id=batch.id)
    _update(row, finding, seen)
    return row


def _update(row: ScanFinding, finding: ScanFindingRecord, seen: datetime) -> None:
    for attribute in _VALUES:
        value = getattr(finding, attribute)
        if getattr(row, attribute) != value:
            setattr(row, attribute, value)
    if list(row.cves or []) != list(finding.cves):
        row.cves = list(finding.cves)
    when = finding.seen_at or seen
    if row.seen_at is None or when > row.seen_at:
        row.seen_at = when
