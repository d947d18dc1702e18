"""Words for the continuity domain's values, in the reader's language (the data keeps identifiers)."""

from __future__ import annotations

from enum import StrEnum

from hygie.continuity.backups import RULE_LABELS, Rule
from hygie.continuity.impact import Effect, Verdict
from hygie.continuity.models import (
    ApplicationKind,
    Criticality,
    ExerciseKind,
    JobResult,
    MediaKind,
    ServiceKind,
)
from hygie.core.i18n import N_, gettext

# Pairs, not a dict literal: equal values of different enums ("other", "pharmacy") must not collide.
_LABEL_LIST: list[tuple[StrEnum, str]] = [
    (ServiceKind.EMERGENCY, N_("Emergency department")),
    (ServiceKind.OPERATING_THEATRE, N_("Operating theatre")),
    (ServiceKind.INTENSIVE_CARE, N_("Intensive care")),
    (ServiceKind.MATERNITY, N_("Maternity")),
    (ServiceKind.LABORATORY, N_("Laboratory")),
    (ServiceKind.IMAGING, N_("Medical imaging")),
    (ServiceKind.PHARMACY, N_("Pharmacy")),
    (ServiceKind.ADMISSIONS, N_("Admissions")),
    (ServiceKind.WARD, N_("Hospital ward")),
    (ServiceKind.DIALYSIS, N_("Dialysis")),
    (ServiceKind.OTHER, N_("Other")),
    (ApplicationKind.PATIENT_RECORD, N_("Patient record")),
    (ApplicationKind.PACS, N_("PACS")),
    (ApplicationKind.RIS, N_("Radiology information system")),
    (ApplicationKind.LIS, N_("Laboratory information system")),
    (ApplicationKind.PHARMACY, N_("Pharmacy system")),
    (ApplicationKind.ADMISSIONS, N_("Admissions system")),
    (ApplicationKind.EMAIL, N_("E-mail")),
    (ApplicationKind.IDENTITY, N_("Directory and identity (AD)")),
    (ApplicationKind.NETWORK, N_("Network")),
    (ApplicationKind.MONITORING, N_("Central patient monitoring")),
    (ApplicationKind.OTHER, N_("Other")),
    (Criticality.BLOCKING, N_("Blocking")),
    (Criticality.DEGRADED, N_("Degraded mode")),
    (MediaKind.DISK, N_("Disk")),
    (MediaKind.TAPE, N_("Tape")),
    (MediaKind.OBJECT_STORAGE, N_("Object storage")),
    (MediaKind.CLOUD, N_("Cloud")),
    (MediaKind.REMOVABLE, N_("Removable media")),
    (MediaKind.SNAPSHOT, N_("Snapshot")),
    (JobResult.SUCCESS, N_("Success")),
    (JobResult.WARNING, N_("Warning")),
    (JobResult.FAILED, N_("Failed")),
    (ExerciseKind.TABLE_TOP, N_("Table-top")),
    (ExerciseKind.TECHNICAL, N_("Technical")),
    (ExerciseKind.FULL_SCALE, N_("Full-scale")),
    (Effect.STOPPED, N_("Stopped")),
    (Effect.DEGRADED, N_("Degraded")),
    (Verdict.WITHIN, N_("Within the RTO")),
    (Verdict.UNKNOWN, N_("Unknown: restore never tested")),
    (Verdict.OVER, N_("Over the RTO")),
    *((rule, text) for rule, text in RULE_LABELS.items()),
]
_LABELS: dict[tuple[type[StrEnum], str], str] = {(type(k), k.value): v for k, v in _LABEL_LIST}


def label(value: StrEnum, lang: str) -> str:
    return gettext(_LABELS.get((type(value), value.value), value.value), lang)


def hours(value: float | None, lang: str) -> str:
    """``4 h``, ``1.5 h`` (``1,5 h`` in French), ``—`` when unknown."""
    if value is None:
        return "—"
    text = f"{value:g}"
    return f"{text.replace('.', ',') if lang == 'fr' else text} h"


__all__ = ["Rule", "hours", "label"]
