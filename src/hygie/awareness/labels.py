"""Words of the awareness vocabularies, as English msgids (translated where they are shown)."""

from __future__ import annotations

from enum import StrEnum

from hygie.awareness.models import UNKNOWN_DEPARTMENT, StaffCategory, TrainingFormat
from hygie.core.i18n import N_, gettext

LABELS: dict[StrEnum, str] = {
    TrainingFormat.E_LEARNING: N_("E-learning"),
    TrainingFormat.CLASSROOM: N_("Classroom"),
    TrainingFormat.WEBINAR: N_("Webinar"),
    TrainingFormat.WORKSHOP: N_("Workshop"),
    TrainingFormat.OTHER: N_("Other"),
    StaffCategory.MEDICAL: N_("Medical staff"),
    StaffCategory.NURSING: N_("Nursing staff"),
    StaffCategory.ADMINISTRATIVE: N_("Administrative staff"),
    StaffCategory.TECHNICAL: N_("Technical staff"),
    StaffCategory.MANAGEMENT: N_("Management"),
    StaffCategory.STUDENTS: N_("Students and interns"),
    StaffCategory.OTHER: N_("Other staff"),
}


def label(value: StrEnum, lang: str) -> str:
    return gettext(LABELS[value], lang) if value in LABELS else value.value


def category_label(value: str, lang: str) -> str:
    try:
        return label(StaffCategory(value), lang)
    except ValueError:
        return value


def department_label(name: str, lang: str) -> str:
    return name if name != UNKNOWN_DEPARTMENT else gettext("Unknown department", lang)
