"""The training CSV (docs/fr/sensibilisation-csv.md, docs/en/awareness-csv.md).

UTF-8, ``;`` or ``,`` between columns, headers in French or English. Two shapes:

- one line per session: date, topic, format, department, staff category, invited, completed;
- one line per person (no ``invited`` column): the same columns with ``completed`` as yes/no;
  a name or identifier column may be there and is ignored: only the counts are kept.

Lines of the same session (date, topic, format, department, category) are added up. Every wrong
cell is reported with its line and column, and then nothing is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pydantic

from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.awareness.schemas import TrainingIn
from hygie.core.csvtext import key, read_rows
from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.core.files import MAX_IMPORT_BYTES

COLUMNS: dict[str, tuple[str, ...]] = {
    "held_on": ("date", "held_on", "date_de_session", "date_session"),
    "topic": ("topic", "theme", "sujet", "intitule", "module"),
    "format": ("format", "modalite", "type"),
    "department": ("department", "service", "unite", "pole"),
    "staff_category": ("staff_category", "categorie", "category", "categorie_de_personnel", "population"),
    "invited": ("invited", "invites", "inscrits", "convoques", "attendus"),
    "completed": ("completed", "termine", "formes", "realise", "suivi", "complete"),
}
_FIELD_OF_COLUMN = {name: field for field, names in COLUMNS.items() for name in names}
REQUIRED = ("held_on", "topic", "format", "department", "staff_category", "completed")

_WORDS: dict[type[StrEnum], dict[str, str]] = {
    TrainingFormat: {
        "elearning": "e_learning",
        "e_learning": "e_learning",
        "en_ligne": "e_learning",
        "online": "e_learning",
        "presentiel": "classroom",
        "salle": "classroom",
        "webinaire": "webinar",
        "classe_virtuelle": "webinar",
        "atelier": "workshop",
        "autre": "other",
    },
    StaffCategory: {
        "medical": "medical",
        "medecin": "medical",
        "medecins": "medical",
        "personnel_medical": "medical",
        "soignant": "nursing",
        "soignants": "nursing",
        "paramedical": "nursing",
        "infirmier": "nursing",
        "infirmiers": "nursing",
        "administratif": "administrative",
        "administratifs": "administrative",
        "technique": "technical",
        "techniques": "technical",
        "technicien": "technical",
        "direction": "management",
        "encadrement": "management",
        "cadres": "management",
        "etudiant": "students",
        "etudiants": "students",
        "interne": "students",
        "internes": "students",
        "stagiaire": "students",
        "stagiaires": "students",
        "students_interns": "students",
        "interns": "students",
        "autre": "other",
    },
}
_YES = {"yes", "oui", "o", "y", "true", "vrai", "1", "x"}
_NO = {"no", "non", "n", "false", "faux", "0", ""}


def _enum(enum: type[StrEnum]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        word = key(text)
        word = _WORDS.get(enum, {}).get(word, word)
        try:
            return enum(word)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise ValueError(f"{text!r} is not one of: {allowed}") from None

    return convert


def _date(text: str) -> date:
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), layout).date()  # noqa: DTZ007 -- a date, no time
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _count(text: str) -> int:
    try:
        value = int(text.replace(" ", "").replace("\u202f", "").replace("\xa0", ""))
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{text!r} is negative")
    return value


def _yes_no(text: str) -> int:
    word = key(text)
    if word in _YES:
        return 1
    if word in _NO:
        return 0
    raise ValueError(f"{text!r} is not yes/oui or no/non")


def parse(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> list[TrainingIn]:
    """The sessions of a training CSV, lines of one session added up; ImportRejectedError naming the
    line and column of every wrong cell."""
    name = path.name
    header, rows = read_rows(path, max_bytes)
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        field = _FIELD_OF_COLUMN.get(key(title))
        if field is not None and field not in columns:
            columns[field] = index
    missing = [COLUMNS[field][0] for field in REQUIRED if field not in columns]
    if missing:
        raise ContentError(f"missing column(s): {', '.join(missing)}", Location(name, 1))
    per_person = "invited" not in columns
    converters: dict[str, Callable[[str], Any]] = {
        "held_on": _date,
        "format": _enum(TrainingFormat),
        "staff_category": _enum(StaffCategory),
        "invited": _count,
        "completed": _yes_no if per_person else _count,
    }
    sessions: dict[tuple[Any, ...], list[int]] = {}
    first_line: dict[tuple[Any, ...], int] = {}
    problems: list[ContentError] = []
    for line, row in rows:
        values: dict[str, Any] = {}
        bad = False
        for field, index in columns.items():
            text = row[index] if index < len(row) else ""
            try:
                values[field] = converters.get(field, str)(text)
            except ValueError as exc:
                problems.append(ContentError(str(exc), Location(name, line, header[index])))
                bad = True
        if bad:
            continue
        if per_person:
            values["invited"] = 1
        blank = [header[columns[f]] for f in ("topic", "department") if not values[f]]
        if blank:
            problems.extend(ContentError("empty", Location(name, line, title)) for title in blank)
            continue
        if values["completed"] > values["invited"]:
            problems.append(
                ContentError(
                    "completed is more than invited", Location(name, line, header[columns["completed"]])
                )
            )
            continue
        session = (
            values["held_on"],
            values["topic"],
            values["format"],
            values["department"],
            values["staff_category"],
        )
        counts = sessions.setdefault(session, [0, 0])
        counts[0] += values["invited"]
        counts[1] += values["completed"]
        first_line.setdefault(session, line)
    if problems:
        raise ImportRejectedError(name, problems)
    result: list[TrainingIn] = []
    for session, (invited, completed) in sessions.items():
        held_on, topic, form, department, category = session
        try:
            result.append(
                TrainingIn(
                    held_on=held_on,
                    topic=topic,
                    format=form,
                    department=department,
                    staff_category=category,
                    invited=invited,
                    completed=completed,
                )
            )
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                column = header[columns[field]] if field in columns else field
                message = error["msg"].removeprefix("Value error, ")
                problems.append(ContentError(message, Location(name, first_line[session], column)))
    if problems:
        raise ImportRejectedError(name, problems)
    return result
