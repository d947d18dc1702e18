"""GoPhish's results, read from its two CSV exports or from its API's JSON, counted per department.

The campaign page of GoPhish exports two CSV files (``<campaign> - Results.csv`` and
``<campaign> - Events.csv``), both the API's JSON written out by Papa Parse with formulas escaped:

- results: ``id,status,ip,latitude,longitude,send_date,reported,modified_date,email,first_name,
  last_name,position``: one line per recipient, ``status`` the furthest step reached and
  ``reported`` (``true``/``false``) apart;
- raw events: ``campaign_id,email,time,message,details``: one line per event.

A recipient's department is found, in this order: the mapping file by e-mail address, the mapping
file by GoPhish position, the position itself, else unknown. The addresses and names are read to
find the departments and never leave this module: only the counts per department do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hygie.awareness.models import UNKNOWN_DEPARTMENT
from hygie.awareness.rates import Counts
from hygie.core.csvtext import key, read_rows
from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.core.files import MAX_IMPORT_BYTES

SENT, OPENED, CLICKED, SUBMITTED = 1, 2, 3, 4
# GoPhish's statuses and event messages → the furthest step they show (0: not delivered).
STEPS: dict[str, int] = {
    "Scheduled": 0,
    "Queued": 0,
    "Sending": 0,
    "Retrying": 0,
    "Unknown": 0,
    "Error Sending Email": 0,
    "Email Sent": SENT,
    "Success": SENT,
    "Email Reported": SENT,
    "Email Opened": OPENED,
    "Clicked Link": CLICKED,
    # A request through GoPhish's proxy mode: the link was followed.
    "Proxied request": CLICKED,
    "Submitted Data": SUBMITTED,
}
REPORTED = "Email Reported"
CAMPAIGN_CREATED = "Campaign Created"
RESULT_COLUMNS = ("id", "status", "email")
EVENT_COLUMNS = ("email", "time", "message")
MAX_DEPARTMENT = 120
_TRUE = {"true", "1", "yes", "oui", "vrai"}
_FALSE = {"false", "0", "no", "non", "faux", ""}


@dataclass
class Recipient:
    """One recipient's results, in memory only for the time of the import."""

    email: str
    position: str = ""
    step: int = 0
    reported: bool = False


@dataclass
class GophishResults:
    """What a GoPhish export or API answer holds: the recipients, and the first sending day."""

    recipients: list[Recipient]
    launched_on: date | None = None
    name: str | None = None
    gophish_id: int | None = None


def step_of(status: str) -> int:
    """The furthest step a GoPhish status or event message shows; ValueError for an unknown one."""
    try:
        return STEPS[status.strip()]
    except KeyError:
        known = ", ".join(STEPS)
        raise ValueError(f"{status!r} is not a GoPhish status ({known})") from None


def parse_time(text: str) -> datetime | None:
    """A GoPhish time (RFC 3339, nanoseconds and all); None for Go's zero time (never happened)."""
    text = text.strip()
    if not text or text.startswith("0001-01-01"):
        return None
    main, _, rest = text.partition(".")
    zone = ""
    if rest:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        zone = rest[digits:]
        rest = rest[:digits][:6]
    else:
        main, zone = main[:19], main[19:]
    zone = "+00:00" if zone in ("Z", "z", "") else zone
    stamp = f"{main}.{rest or '0'}{zone}"
    return datetime.fromisoformat(stamp)


def _boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{text!r} is not true or false")


def _index(header: list[str], wanted: Sequence[str], name: str, what: str) -> dict[str, int]:
    keys = {key(title): index for index, title in reversed(list(enumerate(header)))}
    missing = [column for column in wanted if column not in keys]
    if missing:
        raise ContentError(
            f"not a GoPhish {what} export: no column {', '.join(missing)} "
            f"(the header is: {', '.join(header)})",
            Location(name, 1),
        )
    return keys


def _earliest(days: Iterable[date | None]) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def parse_results_csv(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> GophishResults:
    """The "Results" export; ImportRejectedError naming the line and column of every wrong cell."""
    name = path.name
    header, rows = read_rows(path, max_bytes)
    columns = _index(header, RESULT_COLUMNS, name, "results")
    problems: list[ContentError] = []
    recipients: list[Recipient] = []
    sent_days: list[date | None] = []

    def cell(row: list[str], column: str) -> str:
        index = columns.get(column)
        return row[index] if index is not None and index < len(row) else ""

    for line, row in rows:
        try:
            step = step_of(cell(row, "status"))
        except ValueError as exc:
            problems.append(ContentError(str(exc), Location(name, line, "status")))
            continue
        try:
            reported = _boolean(cell(row, "reported"))
        except ValueError as exc:
            problems.append(ContentError(str(exc), Location(name, line, "reported")))
            continue
        try:
            sent_at = parse_time(cell(row, "send_date"))
        except ValueError:
            problems.append(ContentError("not a date and time", Location(name, line, "send_date")))
            continue
        if step >= SENT and sent_at is not None:
            sent_days.append(sent_at.date())
        recipients.append(Recipient(cell(row, "email"), cell(row, "position"), step, reported))
    if problems:
        raise ImportRejectedError(name, problems)
    return GophishResults(recipients, _earliest(sent_days))


def parse_events_csv(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> GophishResults:
    """The "Raw Events" export: each recipient's furthest step and whether they reported. It has no
    position: departments then come from the mapping file only."""
    name = path.name
    header, rows = read_rows(path, max_bytes)
    columns = _index(header, EVENT_COLUMNS, name, "events")
    problems: list[ContentError] = []
    by_email: dict[str, Recipient] = {}
    sent_days: list[date | None] = []
    for line, row in rows:
        values = {c: (row[i] if i < len(row) else "") for c, i in columns.items() if c in EVENT_COLUMNS}
        message = values["message"].strip()
        if message == CAMPAIGN_CREATED:
            continue
        try:
            step = step_of(message)
        except ValueError as exc:
            problems.append(ContentError(str(exc), Location(name, line, "message")))
            continue
        try:
            at = parse_time(values["time"])
        except ValueError:
            problems.append(ContentError("not a date and time", Location(name, line, "time")))
            continue
        email = values["email"].strip()
        if not email:
            problems.append(ContentError("no e-mail address for this event", Location(name, line, "email")))
            continue
        recipient = by_email.setdefault(email.casefold(), Recipient(email))
        recipient.step = max(recipient.step, step)
        recipient.reported = recipient.reported or message == REPORTED
        if message == "Email Sent" and at is not None:
            sent_days.append(at.date())
    if problems:
        raise ImportRejectedError(name, problems)
    return GophishResults(list(by_email.values()), _earliest(sent_days))


def campaign_name(file_name: str) -> str:
    """``Colis - Results.csv`` → ``Colis``: the campaign's name in the names GoPhish gives its exports."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return re.sub(r"\s*-\s*(results|events)$", "", stem, flags=re.IGNORECASE).strip() or stem


def parse_csv(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> GophishResults:
    """Either export, told apart by its header."""
    header, _rows = read_rows(path, max_bytes)
    keys = {key(title) for title in header}
    if "message" in keys and "status" not in keys:
        return parse_events_csv(path, max_bytes)
    return parse_results_csv(path, max_bytes)


def from_api(results: Mapping[str, Any], launched: str | None = None) -> GophishResults:
    """The JSON of ``GET /api/campaigns/{id}/results`` (and the launch date from the campaign list)."""
    recipients: list[Recipient] = []
    for index, item in enumerate(results.get("results") or []):
        where = Location("GoPhish API", index + 1, "status")
        try:
            step = step_of(str(item.get("status", "")))
        except ValueError as exc:
            raise ContentError(str(exc), where) from exc
        recipients.append(
            Recipient(
                str(item.get("email") or ""),
                str(item.get("position") or ""),
                step,
                bool(item.get("reported")),
            )
        )
    launched_at = parse_time(launched) if launched else None
    return GophishResults(
        recipients,
        launched_at.date() if launched_at else None,
        name=str(results.get("name") or "") or None,
        gophish_id=int(results["id"]) if results.get("id") is not None else None,
    )


# --- Departments ----------------------------------------------------------------------------------

MAPPING_MATCH = ("match", "email", "e_mail", "position", "poste", "adresse")
MAPPING_DEPARTMENT = ("department", "service", "departement")


def read_mapping(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> dict[str, str]:
    """A mapping file: two columns, an e-mail address or a GoPhish position, and its department
    (``match;department``, ``email;service``…). Keys compare without case."""
    name = path.name
    header, rows = read_rows(path, max_bytes)
    keys = [key(title) for title in header]
    match = next((i for i, k in enumerate(keys) if k in MAPPING_MATCH), None)
    department = next((i for i, k in enumerate(keys) if k in MAPPING_DEPARTMENT), None)
    if match is None or department is None:
        raise ContentError(
            "a mapping file needs two columns: match (an e-mail address or a position) and department",
            Location(name, 1),
        )
    mapping: dict[str, str] = {}
    problems: list[ContentError] = []
    for line, row in rows:
        source = row[match] if match < len(row) else ""
        target = row[department] if department < len(row) else ""
        if not source or not target:
            problems.append(ContentError("both cells are needed", Location(name, line)))
            continue
        if len(target) > MAX_DEPARTMENT:
            problems.append(
                ContentError(f"over {MAX_DEPARTMENT} characters", Location(name, line, header[department]))
            )
            continue
        mapping[source.casefold()] = target
    if problems:
        raise ImportRejectedError(name, problems)
    return mapping


def department_of(recipient: Recipient, mapping: Mapping[str, str]) -> str:
    found = mapping.get(recipient.email.strip().casefold()) or mapping.get(
        recipient.position.strip().casefold()
    )
    return (found or recipient.position.strip() or UNKNOWN_DEPARTMENT)[:MAX_DEPARTMENT]


def count_by_department(recipients: Iterable[Recipient], mapping: Mapping[str, str]) -> dict[str, Counts]:
    """The cumulative counts per department (the only thing kept of the recipients)."""
    counts: dict[str, Counts] = {}
    for recipient in recipients:
        step = recipient.step
        one = Counts(
            recipients=1,
            sent=int(step >= SENT or recipient.reported),
            opened=int(step >= OPENED),
            clicked=int(step >= CLICKED),
            submitted=int(step >= SUBMITTED),
            reported=int(recipient.reported),
        )
        department = department_of(recipient, mapping)
        counts[department] = counts.get(department, Counts()) + one
    return dict(sorted(counts.items()))
