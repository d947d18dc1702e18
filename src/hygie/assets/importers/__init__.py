"""Readers of foreign inventory formats. Each turns a file into ``AssetRecord``s and never touches the
database; ``hygie.assets.service.import_assets`` merges the records in one transaction.

``read_file`` is the one entry point: it refuses a file over the size limit before reading it,
recognises the format from the first bytes when none is given, and turns every problem into an
``ImportRejectedError`` that names the file, line and field.
"""

from __future__ import annotations

import re
from pathlib import Path

from hygie.assets.importers import csvfile, cyclonedx, glpi, nmap, openvas
from hygie.assets.importers.common import MAX_IMPORT_BYTES, ParsedFile, check_size, sha256_of
from hygie.assets.models import Importer
from hygie.assets.schemas import ImportSource
from hygie.core.errors import ContentError, ImportRejectedError, Location

# A report's root (perhaps wrapped in a GMP response) with the attributes Greenbone writes on it.
_OPENVAS_XML = re.compile(rb"<(get_reports_response|report)\b[^>]*\b(format_id|content_type)=")

__all__ = ["FILE_FORMATS", "MAX_IMPORT_BYTES", "ParsedFile", "guess_format", "read_file"]

# The importers that read a file (the others read a server: hygie assets import-glpi, import-netbox).
FILE_FORMATS = (Importer.NMAP, Importer.CSV, Importer.CYCLONEDX, Importer.GLPI, Importer.OPENVAS)


def guess_format(head: bytes) -> Importer | None:
    """The format a file's first bytes show: an Nmap, CycloneDX or Greenbone/OpenVAS XML root,
    CycloneDX JSON, an OpenVAS CSV export, a GLPI export (by its header line) or the CSV template."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        if b"<nmaprun" in head:
            return Importer.NMAP
        if b"cyclonedx.org/schema/bom" in head:
            return Importer.CYCLONEDX
        if _OPENVAS_XML.search(head):
            return Importer.OPENVAS
        return None
    if text.startswith(b"{"):
        return Importer.CYCLONEDX if b'"bomFormat"' in head or b"CycloneDX" in head else None
    if not text:
        return None
    if openvas.is_csv_export(text):
        return Importer.OPENVAS
    return Importer.GLPI if glpi.looks_like_glpi(head) else Importer.CSV


def read_file(
    path: Path,
    importer: Importer | None = None,
    *,
    hostname: str | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> ParsedFile:
    """The records of one file, read by ``importer`` or by the reader its content shows."""
    name = path.name
    try:
        if check_size(path, max_bytes) == 0:
            raise ContentError("the file is empty", Location(name))
        if importer is None:
            with path.open("rb") as handle:
                importer = guess_format(handle.read(4096))
            if importer is None:
                raise ContentError(
                    "cannot tell the format (Nmap XML, CSV, GLPI export, CycloneDX or OpenVAS): "
                    "give it with --format",
                    Location(name),
                )
        if importer not in FILE_FORMATS:
            raise ContentError(
                f"{importer.value} is read from its server, not from a file: use hygie assets "
                f"import-{'netbox' if importer is Importer.NETBOX else 'glpi'}",
                Location(name),
            )
        warnings: list[str] = []
        if importer is Importer.NMAP:
            records = nmap.parse(path)
        elif importer is Importer.CYCLONEDX:
            records = cyclonedx.parse(path, hostname=hostname)
        elif importer is Importer.GLPI:
            records, warnings = glpi.parse(path, max_bytes)
        elif importer is Importer.OPENVAS:
            with path.open("rb") as handle:
                head = handle.read(4096)
            if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                records, warnings = openvas.parse(path)
            else:
                records, warnings = openvas.parse_csv(path, max_bytes)
        else:
            records, warnings = csvfile.parse(path, max_bytes)
    except ContentError as exc:
        raise ImportRejectedError(name, [exc]) from exc
    source = ImportSource(importer=importer, file_name=name[-500:], sha256=sha256_of(path))
    return ParsedFile(source=source, records=records, warnings=warnings)
