"""The questionnaire as an Excel workbook, for department heads who answer offline.

``export_campaign`` writes one row per control of the campaign's path, with drop-down lists for
the status and the level, the id and question columns locked, an instructions sheet and a hidden
sheet naming the campaign and the establishment (FINESS) the file belongs to.
``import_campaign`` reads it back: every cell is checked and every problem collected (sheet, cell,
field, message); one problem and nothing is written, otherwise every answer is recorded at once.

Safety: every text written is neutralised against formula injection (a leading ``'`` before
``= + - @``, tab or carriage return); the package is checked before openpyxl reads it (size,
uncompressed size, no DTD or entity declaration in any XML part), and openpyxl itself parses
through ``defusedxml``, which it uses whenever it is installed.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml
import openpyxl
from defusedxml.ElementTree import iterparse
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session, object_session

from hygie.assess import service
from hygie.assess.models import Campaign
from hygie.assess.schemas import JUSTIFIED_STATUSES, AnswerIn, AnswerStatus, ImportResult
from hygie.core.errors import ContentError, ImportRejectedError, Location, ValidationError
from hygie.core.i18n import normalise_language
from hygie.core.tabular import FORMULA_TRIGGERS, neutralise
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Dimension
from hygie.org import service as org_service

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # a zip bomb inflates far beyond what a questionnaire needs
FORMAT = "hygie-assess/1"
SHEET = "Questionnaire"
INSTRUCTIONS = "Instructions"
META = "hygie"
FIRST_ROW = 2

# Column letter, field, French header, English header.
COLUMNS = [
    ("A", "control_id", "Mesure", "Control id"),
    ("B", "dimension", "Dimension", "Dimension"),
    ("C", "question", "Question", "Question"),
    ("D", "target", "Niveau cible", "Target level"),
    ("E", "status", "Statut", "Status"),
    ("F", "level", "Niveau (0-5)", "Level (0-5)"),
    ("G", "justification", "Justification", "Justification"),
    ("H", "comment", "Commentaire", "Comment"),
    ("I", "answered_by", "Répondu par", "Answered by"),
]
EDITABLE = ("E", "F", "G", "H")
WIDTHS = {"A": 22, "B": 18, "C": 70, "D": 10, "E": 22, "F": 10, "G": 40, "H": 40, "I": 18}

STATUS_LABELS: dict[str, dict[AnswerStatus, str]] = {
    "fr": {
        AnswerStatus.LEVEL: "niveau",
        AnswerStatus.ALTERNATIVE: "mesure alternative",
        AnswerStatus.NOT_APPLICABLE: "non applicable",
        AnswerStatus.UNKNOWN: "je ne sais pas",
    },
    "en": {
        AnswerStatus.LEVEL: "level",
        AnswerStatus.ALTERNATIVE: "alternative measure",
        AnswerStatus.NOT_APPLICABLE: "not applicable",
        AnswerStatus.UNKNOWN: "don't know",
    },
}
# Any label of either language, or the raw value, is read back.
_STATUS_BY_TEXT = {
    text.casefold(): status for labels in STATUS_LABELS.values() for status, text in labels.items()
} | {status.value: status for status in AnswerStatus}

DIMENSION_LABELS = {
    "fr": {
        Dimension.GOVERNANCE: "Gouvernance",
        Dimension.TECHNICAL: "Technique",
        Dimension.AWARENESS: "Sensibilisation",
        Dimension.CONTINUITY: "Continuité",
        Dimension.INCIDENT_RESPONSE: "Réponse aux incidents",
    },
    "en": {
        Dimension.GOVERNANCE: "Governance",
        Dimension.TECHNICAL: "Technical",
        Dimension.AWARENESS: "Awareness",
        Dimension.CONTINUITY: "Continuity",
        Dimension.INCIDENT_RESPONSE: "Incident response",
    },
}

INSTRUCTION_LINES = {
    "fr": [
        "Questionnaire de maturité cyber — mode d'emploi",
        "Pour chaque mesure, choisissez un statut dans la colonne « Statut » :",
        "  • niveau : indiquez le niveau atteint de 0 à 5 dans la colonne « Niveau » ;",
        "  • mesure alternative : une mesure compensatoire existe — justification obligatoire ;",
        "  • non applicable : la mesure ne concerne pas l'établissement — justification obligatoire ;",
        "  • je ne sais pas : la question sera signalée comme lacune de connaissance.",
        "Échelle : 0 absent, 1 initial, 2 reproductible, 3 défini, 4 piloté, 5 optimisé.",
        "Laissez le statut vide si vous ne répondez pas à une question.",
        "Ne modifiez ni les identifiants, ni les questions, ni la feuille cachée : le fichier est "
        "rattaché à une campagne et à un établissement précis et sera refusé sinon.",
    ],
    "en": [
        "Cyber maturity questionnaire — how to fill it in",
        "For each control, choose a status in the 'Status' column:",
        "  • level: give the level reached, 0 to 5, in the 'Level' column;",
        "  • alternative measure: a compensating measure exists — justification required;",
        "  • not applicable: the control does not concern the establishment — justification required;",
        "  • don't know: the question will be listed as a knowledge gap.",
        "Scale: 0 absent, 1 initial, 2 repeatable, 3 defined, 4 managed, 5 optimised.",
        "Leave the status empty for a question you do not answer.",
        "Do not change the ids, the questions or the hidden sheet: the file belongs to one campaign of "
        "one establishment and is refused otherwise.",
    ],
}


def _restore(value: str) -> str:
    """Undoes ``neutralise`` on a value read back."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS) else value


class CellError(ContentError):
    """A problem in one cell of an imported workbook."""

    def __init__(self, source: str, sheet: str, cell: str, field: str, message: str) -> None:
        self.sheet = sheet
        self.cell = cell
        self.field = field
        row = int("".join(ch for ch in cell if ch.isdigit()) or 0) or None
        super().__init__(message, Location(source, row, f"{sheet}!{cell} ({field})"))


# --- Export -------------------------------------------------------------------------------------


def _establishment_finess(campaign: Campaign) -> str:
    session = object_session(campaign)
    if session is None:
        raise ValidationError("the campaign is not attached to a database session")
    return org_service.get_establishment(session, campaign.establishment_id).finess


def export_campaign(campaign: Campaign, library: Library, lang: str, path: Path) -> Path:
    """Writes the campaign's questionnaire, current answers included, to ``path`` (.xlsx)."""
    lang = normalise_language(lang)
    if path.suffix.lower() != ".xlsx":
        raise ValidationError(f"{path.name}: the questionnaire is written as an .xlsx file")
    answers = {a.control_id: a for a in campaign.answers}
    controls = service.path_controls(campaign, library)
    workbook = openpyxl.Workbook()
    sheet = workbook.create_sheet(SHEET, 0)
    default = workbook["Sheet"]
    workbook.remove(default)
    for letter, _, header_fr, header_en in COLUMNS:
        cell = sheet[f"{letter}1"]
        cell.value = header_en if lang == "en" else header_fr
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        sheet.column_dimensions[letter].width = WIDTHS[letter]
    labels = STATUS_LABELS[lang]
    for row, control in enumerate(controls, start=FIRST_ROW):
        answer = answers.get(control.id)
        values: dict[str, Any] = {
            "A": control.id,
            "B": DIMENSION_LABELS[lang][control.dimension],
            "C": control.question.get(lang),
            "D": control.target,
            "E": labels[answer.status] if answer else None,
            "F": answer.level if answer else None,
            "G": answer.justification if answer else None,
            "H": answer.comment if answer else None,
            "I": answer.answered_by if answer else None,
        }
        for letter, value in values.items():
            cell = sheet[f"{letter}{row}"]
            cell.value = neutralise(value) if isinstance(value, str) else value
            cell.alignment = Alignment(wrap_text=letter in ("C", "G", "H"), vertical="top")
            if letter in EDITABLE:
                cell.protection = Protection(locked=False)
    last = FIRST_ROW + max(len(controls), 1) - 1
    status_list = DataValidation(
        type="list",
        formula1='"' + ",".join(labels.values()) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Hygie",
        error="Choisissez un statut de la liste." if lang == "fr" else "Choose a status from the list.",
    )
    level_list = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2="5",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Hygie",
        error="Un niveau de 0 à 5." if lang == "fr" else "A level from 0 to 5.",
    )
    sheet.add_data_validation(status_list)
    sheet.add_data_validation(level_list)
    status_list.add(f"E{FIRST_ROW}:E{last}")
    level_list.add(f"F{FIRST_ROW}:F{last}")
    sheet.freeze_panes = "A2"
    # No password: the lock prevents slips, not a determined user; the import re-checks everything.
    sheet.protection.sheet = True

    instructions = workbook.create_sheet(INSTRUCTIONS)
    instructions.column_dimensions["A"].width = 110
    for row, line in enumerate(INSTRUCTION_LINES[lang], start=1):
        instructions[f"A{row}"] = neutralise(line)
    instructions["A1"].font = Font(bold=True, size=13)

    meta = workbook.create_sheet(META)
    for row, (key, value) in enumerate(
        [
            ("format", FORMAT),
            ("campaign_id", str(campaign.id)),
            ("establishment_id", str(campaign.establishment_id)),
            ("finess", _establishment_finess(campaign)),
            ("campaign", campaign.name),
        ],
        start=1,
    ):
        meta[f"A{row}"] = key
        meta[f"B{row}"] = neutralise(value)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    workbook.active = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


# --- Import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    row: int
    control_id: str
    answer: AnswerIn


def _reject(source: str, message: str, field: str | None = None) -> ImportRejectedError:
    return ImportRejectedError(source, [ContentError(message, Location(source, None, field))])


def _check_package(path: Path, source: str) -> None:
    """Refuses what openpyxl should never be handed: wrong type, too big, bombs, DTDs."""
    if path.suffix.lower() != ".xlsx":
        raise _reject(source, "not an .xlsx workbook (only .xlsx files are read)")
    if not path.is_file():
        raise _reject(source, "file not found")
    if path.stat().st_size > MAX_WORKBOOK_BYTES:
        raise _reject(source, "workbook larger than 20 MB")
    if not zipfile.is_zipfile(path):
        raise _reject(source, "not an .xlsx workbook (not a zip package)")
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
                raise _reject(source, "workbook inflates beyond 200 MB: refused")
            for member in members:
                if not member.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with package.open(member) as stream:
                    for _event, _element in iterparse(stream, forbid_dtd=True):
                        pass
    except defusedxml.DefusedXmlException as exc:
        raise _reject(source, f"unsafe XML refused (DTD or entity declaration): {exc}") from exc
    except (zipfile.BadZipFile, SyntaxError, OSError) as exc:  # ParseError is a SyntaxError
        raise _reject(source, f"damaged workbook: {exc}") from exc


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = _restore(str(value)).strip()
    return text or None


def _read_meta(workbook: Any, source: str) -> dict[str, str]:
    if META not in workbook.sheetnames:
        raise _reject(source, "this workbook was not exported by Hygie (hidden sheet missing)", META)
    meta: Worksheet = workbook[META]
    values: dict[str, str] = {}
    for key, value in meta.iter_rows(min_col=1, max_col=2, values_only=True):
        if isinstance(key, str) and value is not None:
            values[key] = _restore(str(value))
    return values


def _check_owner(meta: dict[str, str], campaign: Campaign, finess: str, source: str) -> None:
    problems = []
    if meta.get("format") != FORMAT:
        problems.append(CellError(source, META, "B1", "format", f"unknown format {meta.get('format')!r}"))
    if meta.get("campaign_id") != str(campaign.id):
        problems.append(
            CellError(
                source,
                META,
                "B2",
                "campaign_id",
                f"workbook of campaign {meta.get('campaign_id')!r}, not of campaign {campaign.id}",
            )
        )
    if meta.get("finess") != finess or meta.get("establishment_id") != str(campaign.establishment_id):
        problems.append(
            CellError(
                source,
                META,
                "B4",
                "finess",
                f"workbook of establishment FINESS {meta.get('finess')!r}, not {finess}",
            )
        )
    if problems:
        raise ImportRejectedError(source, list(problems))


def _parse_rows(
    sheet: Worksheet, campaign: Campaign, library: Library, source: str
) -> tuple[list[_Row], int, list[ContentError]]:
    in_path = {c.id for c in service.path_controls(campaign, library)}
    problems: list[ContentError] = []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    blank = 0

    def problem(letter: str, row: int, field: str, message: str) -> None:
        problems.append(CellError(source, SHEET, f"{letter}{row}", field, message))

    for cells in sheet.iter_rows(min_row=FIRST_ROW, max_col=len(COLUMNS)):
        row = cells[0].row or 0
        by_letter = {letter: cells[i] for i, (letter, *_rest) in enumerate(COLUMNS)}
        formula = False
        for letter in ("A", *EDITABLE):
            if by_letter[letter].data_type == "f":
                problem(letter, row, COLUMNS["ABCDEFGHI".index(letter)][1], "formulas are not accepted")
                formula = True
        if formula:
            continue
        control_id = _text(by_letter["A"].value)
        status_text = _text(by_letter["E"].value)
        raw_level = by_letter["F"].value
        justification = _text(by_letter["G"].value)
        comment = _text(by_letter["H"].value)
        if control_id is None:
            if any(v is not None for v in (status_text, raw_level, justification, comment)):
                problem("A", row, "control_id", "control id missing on a row with an answer")
            continue
        if control_id not in library.controls:
            problem("A", row, "control_id", f"unknown control {control_id!r}")
            continue
        if control_id not in in_path:
            problem("A", row, "control_id", f"control {control_id} is not in the {campaign.path} path")
            continue
        if control_id in seen:
            problem(
                "A", row, "control_id", f"control {control_id} already answered on row {seen[control_id]}"
            )
            continue
        seen[control_id] = row
        level: int | None = None
        level_ok = True
        if raw_level is not None and not (isinstance(raw_level, str) and not raw_level.strip()):
            level = _level(raw_level)
            if level is None:
                problem("F", row, "level", f"level {raw_level!r} is not a whole number from 0 to 5")
                level_ok = False
        if status_text is None:
            if level is None and level_ok:
                if justification or comment:
                    problem("E", row, "status", "a status is needed when a justification or comment is given")
                else:
                    blank += 1
                continue
            status: AnswerStatus | None = AnswerStatus.LEVEL  # a level alone means "level"
        else:
            status = _STATUS_BY_TEXT.get(status_text.casefold())
            if status is None:
                choices = ", ".join(STATUS_LABELS["fr"].values())
                problem("E", row, "status", f"unknown status {status_text!r} (expected one of: {choices})")
        if status is None or not level_ok:
            continue
        if status == AnswerStatus.LEVEL and level is None:
            problem("F", row, "level", "a level from 0 to 5 is needed with status 'level'")
            continue
        if status != AnswerStatus.LEVEL and level is not None:
            problem("F", row, "level", f"a level is given only with status 'level', not {status.value!r}")
            continue
        if status in JUSTIFIED_STATUSES and not justification:
            problem("G", row, "justification", f"a justification is mandatory for status {status.value!r}")
            continue
        too_long = [(k, v) for k, v in (("G", justification), ("H", comment)) if v and len(v) > 4000]
        if too_long:
            problem(too_long[0][0], row, "text", "text over 4000 characters")
            continue
        answer = AnswerIn(status=status, level=level, justification=justification, comment=comment)
        rows.append(_Row(row, control_id, answer))
    return rows, blank, problems


def _level(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 0 <= value <= 5:
        return value
    return None


def import_campaign(
    session: Session, campaign: Campaign, library: Library, path: Path, answered_by: str
) -> ImportResult:
    """Records the answers of a filled-in questionnaire: all of them, or none if any cell is wrong."""
    source = path.name
    _check_package(path, source)
    try:
        workbook = openpyxl.load_workbook(path, data_only=False)
    except defusedxml.DefusedXmlException as exc:
        raise _reject(source, f"unsafe XML refused: {exc}") from exc
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise _reject(source, f"unreadable workbook: {exc}") from exc
    try:
        finess = org_service.get_establishment(session, campaign.establishment_id).finess
        _check_owner(_read_meta(workbook, source), campaign, finess, source)
        if SHEET not in workbook.sheetnames:
            raise _reject(source, f"sheet {SHEET!r} missing", SHEET)
        sheet: Worksheet = workbook[SHEET]
        headers = {COLUMNS[0][2], COLUMNS[0][3]}
        if _text(sheet["A1"].value) not in headers:
            raise ImportRejectedError(
                source,
                [
                    CellError(
                        source, SHEET, "A1", "header", "unexpected layout: the first column is the control id"
                    )
                ],
            )
        rows, blank, problems = _parse_rows(sheet, campaign, library, source)
    finally:
        workbook.close()
    if problems:
        raise ImportRejectedError(source, problems)
    existing = {a.control_id: a for a in campaign.answers}
    recorded = unchanged = 0
    with session.begin_nested():  # one unit: a failure half-way leaves the answers as they were
        for parsed in rows:
            before = existing.get(parsed.control_id)
            stamp = (before.answered_by, before.answered_at) if before else None
            answer = service.record_answer(
                session, campaign, parsed.control_id, parsed.answer, answered_by, library=library
            )
            if stamp == (answer.answered_by, answer.answered_at):
                unchanged += 1
            else:
                recorded += 1
    return ImportResult(recorded=recorded, unchanged=unchanged, blank=blank)


__all__ = ["CellError", "export_campaign", "import_campaign", "neutralise"]
