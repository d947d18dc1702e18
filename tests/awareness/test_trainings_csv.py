"""The training CSV: per session or per person, errors by line and column, nothing stored twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.awareness.trainings_csv import parse
from hygie.core.errors import ContentError, ImportRejectedError


def write(tmp_path: Path, text: str, name: str = "formations.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_one_line_per_session_in_french(tmp_path: Path) -> None:
    text = (
        "Date;Thème;Modalité;Service;Catégorie;Inscrits;Formés\n"
        "12/03/2026;Hameçonnage;présentiel;Urgences;soignants;20;15\n"
        "2026-03-12;Hameçonnage;Présentiel;Urgences;Soignants;5;5\n"
        "2026-04-02;Mots de passe;e-learning;DSI;technique;8;2\n"
    )
    sessions = parse(write(tmp_path, text))
    assert len(sessions) == 2  # the first two lines are the same session
    first = sessions[0]
    assert (first.held_on, first.format, first.staff_category) == (
        date(2026, 3, 12),
        TrainingFormat.CLASSROOM,
        StaffCategory.NURSING,
    )
    assert (first.invited, first.completed) == (25, 20)
    assert (sessions[1].department, sessions[1].format, sessions[1].staff_category) == (
        "DSI",
        TrainingFormat.E_LEARNING,
        StaffCategory.TECHNICAL,
    )


def test_one_line_per_person_keeps_only_counts(tmp_path: Path) -> None:
    text = (
        "date,topic,format,department,staff_category,name,completed\n"
        "2026-05-01,Phishing,e-learning,Urgences,nursing,Alice Martin,oui\n"
        "2026-05-01,Phishing,e-learning,Urgences,nursing,Bruno Petit,non\n"
        "2026-05-01,Phishing,e-learning,Urgences,nursing,Chloé Roux,yes\n"
        "2026-05-01,Phishing,e-learning,Urgences,students,Dylan Faure,\n"
    )
    sessions = parse(write(tmp_path, text))
    assert [(s.staff_category, s.invited, s.completed) for s in sessions] == [
        (StaffCategory.NURSING, 3, 2),
        (StaffCategory.STUDENTS, 1, 0),
    ]
    assert "Alice" not in repr(sessions)


def test_every_wrong_cell_is_located(tmp_path: Path) -> None:
    text = (
        "date;topic;format;department;staff_category;invited;completed\n"
        "31/02/2026;Phishing;classroom;Urgences;nursing;10;5\n"
        "2026-03-01;Phishing;hologram;Urgences;nursing;10;5\n"
        "2026-03-01;Phishing;classroom;Urgences;nursing;10;12\n"
        "2026-03-01;Phishing;classroom;Urgences;nursing;dix;5\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        parse(write(tmp_path, text))
    located = [
        (p.location.file, p.location.line, p.location.field) for p in caught.value.problems if p.location
    ]
    assert located == [
        ("formations.csv", 2, "date"),
        ("formations.csv", 3, "format"),
        ("formations.csv", 4, "completed"),
        ("formations.csv", 5, "invited"),
    ]


def test_missing_columns_and_formula_cells(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="missing column"):
        parse(write(tmp_path, "date;topic\n2026-01-01;x\n"))
    text = (
        "date;topic;format;department;staff_category;invited;completed\n"
        "2026-01-05;=1+1;classroom;'-Bloc;medical;4;4\n"
    )
    (session,) = parse(write(tmp_path, text))
    # Kept as text, never evaluated; a spreadsheet's escape quote is taken off.
    assert (session.topic, session.department) == ("=1+1", "-Bloc")
