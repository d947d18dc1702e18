"""The demo hospital's awareness: a year of training sessions and two phishing campaigns.

Hand-written counts, not random: the second campaign does better than the first in most
departments, and the pharmacy does worse (a new team, not yet trained). Imported through
``hygie.awareness.service`` like a user's files; the addresses made up here are not stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hygie.awareness import service
from hygie.awareness.gophish import CLICKED, OPENED, SENT, SUBMITTED, GophishResults, Recipient
from hygie.awareness.models import RecordSource, StaffCategory, TrainingFormat
from hygie.awareness.schemas import TrainingIn

FIRST = ("Colis en attente", date(2026, 3, 17))
SECOND = ("Mise à jour de la messagerie", date(2026, 10, 6))

# department → (recipients, opened, clicked, submitted, reported), first campaign then second.
RESULTS: dict[str, tuple[tuple[int, int, int, int, int], tuple[int, int, int, int, int]]] = {
    "Urgences": ((40, 30, 14, 5, 3), (40, 26, 7, 2, 10)),
    "Réanimation": ((30, 21, 9, 3, 4), (30, 18, 4, 1, 9)),
    "Bloc opératoire": ((35, 24, 10, 4, 2), (35, 20, 5, 1, 8)),
    "Imagerie médicale": ((20, 15, 5, 1, 3), (20, 12, 2, 0, 7)),
    "Laboratoire": ((18, 12, 4, 1, 4), (18, 10, 2, 0, 8)),
    "Maternité": ((25, 19, 8, 3, 2), (25, 17, 4, 1, 6)),
    "Pharmacie": ((15, 9, 2, 0, 5), (15, 12, 6, 3, 2)),
    "Admissions": ((22, 18, 9, 4, 1), (22, 15, 5, 2, 4)),
}

# (day, topic, format, department, category, invited, completed)
TRAININGS: tuple[tuple[date, str, TrainingFormat, str, StaffCategory, int, int], ...] = (
    (date(2026, 1, 20), "Hameçonnage et signalement", TrainingFormat.E_LEARNING, "Urgences",
     StaffCategory.NURSING, 60, 41),
    (date(2026, 1, 20), "Hameçonnage et signalement", TrainingFormat.E_LEARNING, "Urgences",
     StaffCategory.MEDICAL, 18, 9),
    (date(2026, 2, 3), "Hameçonnage et signalement", TrainingFormat.E_LEARNING, "Réanimation",
     StaffCategory.NURSING, 45, 38),
    (date(2026, 2, 3), "Hameçonnage et signalement", TrainingFormat.E_LEARNING, "Bloc opératoire",
     StaffCategory.NURSING, 50, 37),
    (date(2026, 2, 10), "Hygiène numérique au poste de soins", TrainingFormat.CLASSROOM, "Maternité",
     StaffCategory.NURSING, 30, 25),
    (date(2026, 2, 10), "Hygiène numérique au poste de soins", TrainingFormat.CLASSROOM, "Imagerie médicale",
     StaffCategory.MEDICAL, 12, 10),
    (date(2026, 3, 2), "Fraude au président et faux RIB", TrainingFormat.WORKSHOP, "Admissions",
     StaffCategory.ADMINISTRATIVE, 25, 22),
    (date(2026, 4, 14), "Accueil des internes : charte et mots de passe", TrainingFormat.CLASSROOM,
     "Laboratoire", StaffCategory.STUDENTS, 14, 14),
    (date(2026, 5, 19), "Sécurité des dispositifs biomédicaux", TrainingFormat.WEBINAR, "Services techniques",
     StaffCategory.TECHNICAL, 16, 9),
    (date(2026, 6, 9), "Gestion de crise cyber", TrainingFormat.WORKSHOP, "Direction",
     StaffCategory.MANAGEMENT, 10, 9),
    (date(2026, 9, 22), "Hameçonnage et signalement", TrainingFormat.E_LEARNING, "Pharmacie",
     StaffCategory.MEDICAL, 12, 5),
)  # fmt: skip


def recipients_of(department: str, counts: tuple[int, int, int, int, int]) -> list[Recipient]:
    """Made-up recipients reaching the counts: the first ones furthest, the last ones reporting."""
    total, opened, clicked, submitted, reported = counts
    people = []
    for index in range(total):
        step = (
            SUBMITTED
            if index < submitted
            else CLICKED
            if index < clicked
            else OPENED
            if index < opened
            else SENT
        )
        people.append(
            Recipient(f"agent{index}@{department}.demo", department, step, index >= total - reported)
        )
    return people


Counts = tuple[int, int, int, int, int]
Training = tuple[date, str, TrainingFormat, str, StaffCategory, int, int]


@dataclass(frozen=True)
class Awareness:
    """An establishment's training sessions and phishing campaigns (``results``: department → the counts
    of each campaign, in the order of ``campaigns``)."""

    trainings: tuple[Training, ...]
    campaigns: tuple[tuple[str, date], ...]
    results: Mapping[str, tuple[Counts, ...]]
    trainings_file: str = "formations-2026.csv"


HOSPITAL_AWARENESS = Awareness(TRAININGS, (FIRST, SECOND), RESULTS)


def build(session: Session, establishment_id: int, facts: Awareness = HOSPITAL_AWARENESS) -> None:
    """The sessions, then the campaigns (each refreshes the awareness findings)."""
    sessions = [
        TrainingIn(
            held_on=day,
            topic=topic,
            format=form,
            department=department,
            staff_category=category,
            invited=invited,
            completed=completed,
        )
        for day, topic, form, department, category, invited, completed in facts.trainings
    ]
    if sessions:
        service.import_trainings(session, establishment_id, sessions, facts.trainings_file)
    for index, (name, day) in enumerate(facts.campaigns):
        people = [
            p
            for department, counts in facts.results.items()
            for p in recipients_of(department, counts[index])
        ]
        service.import_phishing(
            session,
            establishment_id,
            name,
            GophishResults(people, day),
            source=RecordSource.GOPHISH_CSV,
            file_name=f"{name} - Results.csv",
        )
