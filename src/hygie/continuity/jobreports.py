"""Readers of backup job reports: Hygie's own CSV (docs/fr/sauvegardes-csv.md, docs/en/backups-csv.md)
and the CSV of Veeam Backup & Replication's sessions (``Get-VBRBackupSession | Export-Csv``).

Both give ``JobRecord``s and never touch the database: ``service.import_jobs`` stores them in one
transaction. The file's size is checked before it is read, it must be UTF-8, ``;`` or ``,`` separate
the columns (whichever the header uses more), and every wrong cell is reported with its file, line and
column, then nothing is imported. Cell values are kept as text (never evaluated); the job log's CSV
export neutralises formulas.

Times without an offset are the establishment's local time (Europe/Paris by default). Veeam writes
them in the exporting machine's culture: ``28/11/2026 21:00:05`` (French) or ``11/28/2026 9:00:05 PM``
(US, told apart by its AM/PM); an ISO 8601 time is read as well.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pydantic

from hygie.continuity.models import JobReportFormat, JobResult
from hygie.continuity.schemas import JobRecord
from hygie.core.csvtext import decode_utf8, delimiter_of, key
from hygie.core.errors import ContentError, ImportRejectedError, Location, ValidationError
from hygie.core.files import MAX_IMPORT_BYTES, check_size
from hygie.core.time import is_known_zone

DEFAULT_TIMEZONE = "Europe/Paris"

# field → accepted column names, in key() form; the first English and French names are the template's.
HYGIE_COLUMNS: dict[str, tuple[str, ...]] = {
    "job_name": ("job", "tache", "job_name", "nom_de_la_tache", "travail", "nom_du_travail"),
    "started_at": ("started", "debut", "start", "started_at", "date_de_debut", "heure_de_debut"),
    "ended_at": ("ended", "fin", "end", "ended_at", "date_de_fin", "heure_de_fin"),
    "result": ("result", "resultat", "status", "statut", "etat"),
    "message": ("message", "details", "detail", "commentaire", "raison", "reason"),
}
# Veeam's session properties, as Export-Csv names the columns.
VEEAM_COLUMNS: dict[str, tuple[str, ...]] = {
    "job_name": ("jobname",),
    "started_at": ("creationtime",),
    "ended_at": ("endtime",),
    "result": ("result",),
    "message": ("reason", "description"),
}
REQUIRED = ("job_name", "started_at", "result")

_RESULTS = {
    JobResult.SUCCESS: {"success", "succes", "ok", "reussi", "reussie", "succeeded"},
    JobResult.WARNING: {"warning", "avertissement", "alerte", "partiel", "partial"},
    JobResult.FAILED: {"failed", "failure", "echec", "echoue", "erreur", "error", "ko"},
}
_RESULT_OF_WORD = {word: result for result, words in _RESULTS.items() for word in words}
# Veeam's result of a session still running, and the end time it gives one: skipped, not an error.
VEEAM_RUNNING = "none"
VEEAM_NO_END = datetime(1900, 1, 1)  # noqa: DTZ001 -- compared with a naive parsed value


def parse_result(text: str) -> JobResult:
    result = _RESULT_OF_WORD.get(key(text))
    if result is None:
        raise ValueError(f"{text!r} is not a result: success/succès, warning/avertissement or failed/échec")
    return result


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    """An aware UTC datetime from ISO 8601, ``DD/MM/YYYY HH:MM[:SS]`` or US ``M/D/YYYY h:mm:ss AM``."""
    value = text.strip()
    naive: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        upper = value.upper()
        layouts = (
            ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p")
            if upper.endswith(("AM", "PM"))
            else ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
        )
        for layout in layouts:
            try:
                naive = datetime.strptime(upper, layout)  # noqa: DTZ007 -- local time, zone added below
                break
            except ValueError:
                continue
        if naive is None:
            raise ValueError(
                f"{text!r} is not a date and time (YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)"
            ) from None
        parsed = naive
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def guess_format(header: list[str]) -> JobReportFormat:
    names = {key(h) for h in header}
    return JobReportFormat.VEEAM if {"jobname", "creationtime"} <= names else JobReportFormat.HYGIE


def _columns(header: list[str], names: dict[str, tuple[str, ...]], name: str) -> dict[str, int]:
    wanted = {column: field for field, columns in names.items() for column in columns}
    found: dict[str, int] = {}
    problems: list[ContentError] = []
    for index, title in enumerate(header):
        field = wanted.get(key(title))
        if field is None:
            continue
        if field in found:
            problems.append(ContentError("the same column twice", Location(name, 1, title.strip())))
            continue
        found[field] = index
    for field in REQUIRED:
        if field not in found:
            problems.append(
                ContentError(f"missing column {names[field][0]!r}", Location(name, 1, names[field][0]))
            )
    if problems:
        raise ImportRejectedError(name, problems)
    return found


def read_job_report(
    path: Path,
    report_format: JobReportFormat | None = None,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    max_bytes: int = MAX_IMPORT_BYTES,
    display_name: str | None = None,
) -> tuple[JobReportFormat, list[JobRecord], list[str]]:
    """The format, the job runs of a report and notes (rows skipped); ImportRejectedError naming the
    file, line and column of every wrong cell."""
    name = display_name or path.name
    if not is_known_zone(timezone):
        raise ValidationError(f"timezone: unknown zone {timezone!r} (IANA name, e.g. Europe/Paris)")
    zone = ZoneInfo(timezone)
    try:
        if check_size(path, max_bytes) == 0:
            raise ContentError("the file is empty", Location(name))
        text = decode_utf8(path.read_bytes(), name)
    except ContentError as exc:
        raise ImportRejectedError(name, [exc]) from exc
    skipped = 0
    # PowerShell 5's Export-Csv writes a "#TYPE ..." line before the header.
    if text.startswith("#TYPE"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        skipped = 1
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(first_line), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportRejectedError(
            name, [ContentError("no header line", Location(name, 1 + skipped))]
        ) from None
    fmt = report_format or guess_format(header)
    columns = _columns(header, VEEAM_COLUMNS if fmt is JobReportFormat.VEEAM else HYGIE_COLUMNS, name)
    titles = {field: header[index].strip() for field, index in columns.items()}
    converters: dict[str, Callable[[str], object]] = {
        "started_at": lambda v: parse_time(v, zone),
        "ended_at": lambda v: parse_time(v, zone),
        "result": parse_result,
    }
    records: list[JobRecord] = []
    problems: list[ContentError] = []
    notes: list[str] = []
    while True:
        line = reader.line_num + 1 + skipped
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(ContentError(f"unreadable CSV: {exc}", Location(name, line)))
            break
        if not any(cell.strip() for cell in row):
            continue
        cells = {field: row[index].strip() if index < len(row) else "" for field, index in columns.items()}
        if fmt is JobReportFormat.VEEAM and key(cells["result"]) == VEEAM_RUNNING:
            notes.append(f"{name}, line {line}: session still running, skipped")
            continue
        values: dict[str, object] = {"line": line}
        bad = False
        for field, cell in cells.items():
            if not cell:
                if field in REQUIRED:
                    problems.append(ContentError("empty", Location(name, line, titles[field])))
                    bad = True
                continue
            convert = converters.get(field)
            try:
                values[field] = convert(cell) if convert is not None else cell
            except ValueError as exc:
                problems.append(ContentError(str(exc), Location(name, line, titles[field])))
                bad = True
        if bad:
            continue
        ended = values.get("ended_at")
        if isinstance(ended, datetime) and ended.astimezone(zone).replace(tzinfo=None) <= VEEAM_NO_END:
            values.pop("ended_at")
        try:
            records.append(JobRecord.model_validate(values))
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                problems.append(ContentError(error["msg"], Location(name, line, titles.get(field, field))))
    if problems:
        raise ImportRejectedError(name, problems)
    return fmt, records, notes
