"""The continuity-of-care section of the management report: hand-built, rendered, and from the demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.reports import service as report_service
from hygie.reports.render import render_html, render_pdf
from hygie.reports.schemas import ContinuitySection, MeasuredControl, PolicyScore, ServiceReadiness

from .conftest import build_report

SECTION = ContinuitySection(
    services=[
        ServiceReadiness(name="Urgences", rto_hours=4, restore_hours=3, verdict="within"),
        ServiceReadiness(name="Imagerie", rto_hours=8, restore_hours=16, verdict="over"),
        ServiceReadiness(name="Laboratoire", rto_hours=8, restore_hours=None, verdict="unknown"),
    ],
    policies=[PolicyScore(application="SIL", met=2, missed=["restore never tested"])],
    last_exercise=dt.date(2026, 6, 10),
    overdue=["SIL : restauration jamais testée"],
    phishing_campaign="Automne",
    phishing_on=dt.date(2026, 10, 6),
    click_rate=25.0,
    report_rate=12.5,
    training_completion=70.0,
    measured=[
        MeasuredControl(
            control="CON-RESTORE-TEST",
            title="Tests de restauration",
            declared=4,
            measured=1,
            basis="1/3",
            gap=True,
        )
    ],
)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            [
                "Continuité des soins",
                "jamais testée",
                "au-delà de la DMIA",
                "dans la DMIA",
                "Dernier exercice : ",
                "« Automne »",
                "25\u00a0% de clics",
                "Taux de formation sur 12 mois : 70\u00a0%",
                "Niveaux déclarés et mesurés",
                "SIL : restauration jamais testée",
            ],
        ),
        (
            "en",
            [
                "Continuity of care",
                "never tested",
                "over the RTO",
                "within the RTO",
                "Last exercise: ",
                "“Automne”",
                "Training completion over 12 months: 70",
                "Declared and measured levels",
            ],
        ),
    ],
)
def test_the_section_in_french_and_english(lang: str, expected: list[str]) -> None:
    html = render_html(build_report(continuity=SECTION), lang)
    for text in expected:
        assert text in html, text
    assert html.count('class="badge rag-') == 3 and 'class="gap"' in html
    assert "Continuité des soins" not in render_html(build_report(), "fr")  # no facts, no section


def test_the_summary_stays_two_pages_with_the_section(tmp_path: Path) -> None:
    pages = PdfReader(str(render_pdf(build_report(continuity=SECTION), "fr", tmp_path / "r.pdf"))).pages
    first, second, third = (" ".join(pages[i].extract_text().casefold().split()) for i in range(3))
    assert "continuité des soins" not in first + second
    assert "continuité des soins" in third


def test_the_demo_report_has_the_section(session: Session) -> None:
    library = get_library()
    eid = demo_service.build(session, library, inventory=False).establishment_id
    report = report_service.maturity_report(session, eid, library, lang="fr")
    section = report.continuity
    assert section is not None
    verdicts = {s.name: s.verdict for s in section.services}
    assert verdicts["Laboratoire"] == "unknown" and verdicts["Imagerie médicale"] == "over"
    assert "SIL : restauration jamais testée" in section.overdue
    assert section.phishing_campaign is not None and section.click_rate is not None
    measured = {m.control: m for m in section.measured}
    assert {"CON-RESTORE-TEST", "AWA-PHISHING", "AWA-TRAINING"} <= set(measured)
    html = render_html(report, "fr")
    assert "Continuité des soins" in html and "SIL" in html
    english = report_service.maturity_report(session, eid, library, lang="en")
    assert "Continuity of care" in render_html(english, "en")
