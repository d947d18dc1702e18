"""Greenbone/OpenVAS reports: the XML report (GMP ``get_reports``, wrapped or not in
``<get_reports_response>``) and its CSV export ("CSV Results").

Each scanned host becomes one record: its IP, its name (the report's hostname), its OS when the host
details give one (``best_os_cpe``, ``best_os_txt``: the scanner's guess, marked so), the ports the
results were found on, and one ``ScanFindingRecord`` per check and port (NVT OID, name, family,
severity and its CVSS vector, threat, quality of detection, CVEs, solution, when it was detected).
False positives (severity below 0) are left out; log entries (severity 0) are kept as observations.

A host address that is not an IP (anonymised reports write ``192.168.1.1001``) is dropped with a
warning, and the host is known by its hostname; a host with neither is refused.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import pydantic

from hygie.assets.importers.common import MAX_IMPORT_BYTES, check_size, parse_xml
from hygie.assets.importers.cpe import to_cpe23
from hygie.assets.schemas import AssetRecord, PortRecord, ScanFindingRecord, normalise_ip
from hygie.core.errors import ContentError, ImportRejectedError, Location

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")
_PORT = re.compile(r"^(\d{1,5})/(tcp|udp|sctp)$")
# The columns without which a CSV export cannot be read.
CSV_COLUMNS = ("IP", "NVT OID")
CSV_HEADER = b"IP,Hostname,Port,Port Protocol,CVSS"


@dataclass
class _Host:
    address: str
    hostname: str | None = None
    os_cpe: str | None = None
    os_name: str | None = None
    end: datetime | None = None  # when the scan of the host ended (the report's host block)
    seen: datetime | None = None  # the latest detection among its results
    ports: dict[tuple[str, int], PortRecord] = field(default_factory=dict)
    findings: dict[tuple[str, str], ScanFindingRecord] = field(default_factory=dict)

    def add_port(self, text: str) -> None:
        found = _PORT.match(text.strip())
        if found and int(found[1]) <= 65535:
            self.ports.setdefault(
                (found[2], int(found[1])), PortRecord(protocol=found[2], port=int(found[1]))
            )

    def add_finding(self, finding: ScanFindingRecord) -> None:
        self.add_port(finding.port)
        known = self.findings.get(finding.key)
        if known is None or finding.severity > known.severity:  # a report may repeat a line
            self.findings[finding.key] = finding
        if finding.seen_at and (self.seen is None or finding.seen_at > self.seen):
            self.seen = finding.seen_at


def _time(text: str | None) -> datetime | None:
    """An ISO 8601 time of the report (``Z`` or an offset), in UTC; None when absent or unreadable."""
    if not text or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _tags(nvt: Element) -> dict[str, str]:
    """``summary=…|solution_type=VendorFix|…`` → a dict (the values may hold new lines)."""
    tags: dict[str, str] = {}
    for part in (nvt.findtext("tags") or "").split("|"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip()] = value.strip()
    return tags


def _cves(texts: list[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for text in texts:
        for cve in _CVE.findall(text.upper()):
            found[cve] = None
    return tuple(found)


def _vector(nvt: Element, tags: dict[str, str]) -> str | None:
    """The CVSS vector of the check: the one its severities give (GMP 21+), else its tags'."""
    for severity in nvt.findall("severities/severity"):
        value = (severity.findtext("value") or "").strip()
        if value:
            return value[:200]
    value = tags.get("cvss_base_vector", "").strip()
    return value[:200] or None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text and text.strip() else None
    except ValueError:
        return None


def _qod(text: str | None) -> int | None:
    value = _number(text)
    return int(value) if value is not None and 0 <= value <= 100 else None


def _finding_of_result(result: Element, fallback: datetime | None) -> ScanFindingRecord | None:
    nvt = result.find("nvt")
    oid = nvt.get("oid", "").strip() if nvt is not None else ""
    if nvt is None or not oid:
        raise ValueError("the result names no check (nvt oid)")
    severity = _number(result.findtext("severity"))
    if severity is None:
        severity = _number(nvt.findtext("cvss_base")) or 0.0
    if severity < 0:  # -1: marked as a false positive by an override
        return None
    tags = _tags(nvt)
    refs = [r.get("id", "") for r in nvt.findall("refs/ref") if r.get("type", "").lower() == "cve"]
    cves = _cves([*refs, nvt.findtext("cve") or "", oid if _CVE.fullmatch(oid) else ""])
    solution = nvt.find("solution")
    solution_type = (solution.get("type") if solution is not None else None) or tags.get("solution_type")
    solution_text = (solution.text if solution is not None else None) or tags.get("solution")
    name = (nvt.findtext("name") or result.findtext("name") or oid).strip()
    return ScanFindingRecord(
        nvt_oid=oid,
        name=name[:500],
        family=(nvt.findtext("family") or "").strip()[:200] or None,
        port=(result.findtext("port") or "general").strip()[:40] or "general",
        severity=min(severity, 10.0),
        cvss_vector=_vector(nvt, tags),
        threat=(result.findtext("threat") or "").strip()[:20] or None,
        qod=_qod(result.findtext("qod/value")),
        cves=cves,
        solution_type=(solution_type or "").strip()[:40] or None,
        solution=(solution_text or "").strip() or None,
        seen_at=_time(result.findtext("creation_time"))
        or _time(result.findtext("modification_time"))
        or fallback,
    )


def _report(root: Element, name: str) -> Element:
    """The element that holds the results: ``<report>`` (inner), under an outer ``<report>`` and
    perhaps a ``<get_reports_response>``."""
    if root.tag == "get_reports_response":
        found = root.find("report")
        if found is None:
            raise ContentError("the GMP response holds no <report>", Location(name))
        root = found
    if root.tag != "report":
        raise ContentError(
            "not a Greenbone/OpenVAS XML report (its root element is not <report>)", Location(name)
        )
    inner = root.find("report")
    return inner if inner is not None else root


def _detail(host: Element, name: str) -> str | None:
    for detail in host.findall("detail"):
        if (detail.findtext("name") or "").strip() == name:
            return (detail.findtext("value") or "").strip() or None
    return None


class _Hosts:
    """The hosts of one report, by the address the scanner wrote."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.hosts: dict[str, _Host] = {}

    def get(self, address: str, hostname: str | None = None) -> _Host:
        host = self.hosts.setdefault(address, _Host(address=address))
        if hostname and not host.hostname:
            host.hostname = hostname
        return host

    def records(self) -> tuple[list[AssetRecord], list[str]]:
        records: list[AssetRecord] = []
        problems: list[ContentError] = []
        warnings: list[str] = []
        for number, host in enumerate(self.hosts.values(), start=1):
            where = Location(self.file_name, None, f"host {number} ({host.address})")
            ips: list[str] = []
            try:
                ips = [normalise_ip(host.address)]
            except ValueError:
                if not host.hostname:
                    problems.append(
                        ContentError(f"not an IP address and no hostname: {host.address!r}", where)
                    )
                    continue
                warnings.append(
                    f"{self.file_name}: host {host.address!r} is not an IP address: known by its name "
                    f"{host.hostname!r} only"
                )
            values: dict[str, object] = {
                "ips": ips,
                "hostname": host.hostname,
                "os_cpe": host.os_cpe,
                "os_name": host.os_name,
                "ports": list(host.ports.values()),
                # The OS is the scanner's fingerprint: it never replaces what an inventory stated.
                "guessed": frozenset({"os_cpe", "os_name"}),
                "observed_at": host.end or host.seen,
                "scan_findings": sorted(
                    host.findings.values(), key=lambda f: (-f.severity, f.nvt_oid, f.port)
                ),
            }
            try:
                records.append(AssetRecord.model_validate(values))
            except (ValueError, pydantic.ValidationError) as exc:
                problems.append(ContentError(_first_error(exc), where))
        if problems:
            raise ImportRejectedError(self.file_name, problems)
        return records, warnings


def parse(path: Path) -> tuple[list[AssetRecord], list[str]]:
    """The hosts of an XML report with what the scanner found on each; warnings about the hosts
    known by name only. ImportRejectedError naming each result that cannot be read."""
    report = _report(parse_xml(path), path.name)
    started = _time(report.findtext("scan_end")) or _time(report.findtext("scan_start"))
    started = started or _time(report.findtext("timestamp"))
    hosts = _Hosts(path.name)
    for block in report.findall("host"):
        address = (block.findtext("ip") or "").strip()
        if not address:
            continue
        host = hosts.get(address, _detail(block, "hostname"))
        cpe = _detail(block, "best_os_cpe")
        host.os_cpe = to_cpe23(cpe) if cpe else None
        host.os_name = (_detail(block, "best_os_txt") or "")[:200] or None
        host.end = _time(block.findtext("end")) or _time(block.findtext("start"))
    for port in report.findall("ports/port"):
        address = (port.findtext("host") or "").strip()
        if address:
            hosts.get(address).add_port(port.text or "")
    problems: list[ContentError] = []
    for number, result in enumerate(report.findall("results/result"), start=1):
        where = Location(path.name, None, f"result {number}")
        element = result.find("host")
        address = ((element.text or "") if element is not None else "").strip()
        if element is None or not address:
            problems.append(ContentError("the result names no host", where))
            continue
        hostname = (element.findtext("hostname") or "").strip() or None
        try:
            finding = _finding_of_result(result, started)
        except (ValueError, pydantic.ValidationError) as exc:
            problems.append(ContentError(_first_error(exc), where))
            continue
        host = hosts.get(address, hostname)
        if finding is not None:
            host.add_finding(finding)
    if problems:
        raise ImportRejectedError(path.name, problems)
    for host in hosts.hosts.values():
        host.seen = host.seen or started
    return hosts.records()


def is_csv_export(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(CSV_HEADER)


def parse_csv(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> tuple[list[AssetRecord], list[str]]:
    """The hosts of a CSV export ("CSV Results"), one line per result."""
    check_size(path, max_bytes)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError("the file is not UTF-8 text", Location(path.name)) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ContentError(
            f"not a Greenbone/OpenVAS CSV export: no column {', '.join(missing)}", Location(path.name, 1)
        )
    hosts = _Hosts(path.name)
    problems: list[ContentError] = []
    for row in reader:
        where = Location(path.name, reader.line_num)
        address = (row.get("IP") or "").strip()
        oid = (row.get("NVT OID") or "").strip()
        if not address or not oid:
            problems.append(ContentError("a result line needs its IP and NVT OID", where))
            continue
        port, protocol = (row.get("Port") or "").strip(), (row.get("Port Protocol") or "").strip()
        severity = _number(row.get("CVSS")) or 0.0
        if severity < 0:
            continue
        try:
            finding = ScanFindingRecord(
                nvt_oid=oid[:100],
                name=((row.get("NVT Name") or "").strip() or oid)[:500],
                port=f"{port}/{protocol}" if port and protocol else "general",
                severity=min(severity, 10.0),
                threat=(row.get("Severity") or "").strip()[:20] or None,
                qod=_qod(row.get("QoD")),
                cves=_cves([row.get("CVEs") or "", oid if _CVE.fullmatch(oid) else ""]),
                solution_type=(row.get("Solution Type") or "").strip()[:40] or None,
                solution=(row.get("Solution") or "").strip() or None,
                seen_at=_time(row.get("Timestamp")),
            )
        except pydantic.ValidationError as exc:
            problems.append(ContentError(_first_error(exc), where))
            continue
        hosts.get(address, (row.get("Hostname") or "").strip() or None).add_finding(finding)
    if problems:
        raise ImportRejectedError(path.name, problems)
    return hosts.records()


def _first_error(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        return f"{where}: {error['msg'].removeprefix('Value error, ')}"
    return str(exc)
