"""HTML and PDF rendering of the maturity report, in French and in English."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from hygie.reports.render import render_html, render_pdf, render_pdf_bytes
from hygie.reports.schemas import EstablishmentInfo, MaturityReport

from .conftest import build_report

HOSTILE_NAME = 'CH <img src=x onerror="alert(1)"> & <script>alert(2)</script>'


def test_html_in_french(report: MaturityReport) -> None:
    html = render_html(report, "fr")
    assert '<html lang="fr">' in html
    for label in (
        "Rapport de maturité en cyber-résilience",
        "Indice global de maturité",
        "Maturité par dimension",
        "Conformité par référentiel",
        "Principales faiblesses",
        "Plan d'action optimisé",
        "Feuille de route",
        "Entité essentielle",
        "Sous la fourchette de référence",
        "Sensibilisation",
        "Zones d'ignorance",
        "420 lits",
    ):
        assert label in html, label
    # Figures, written the French way.
    assert "180\u202f000\xa0€" in html  # total cost of the plan
    assert "5,7\xa0%" in html  # security share of the IT budget
    assert "20 juin 2025" in html
    assert "▲ +6" in html  # global index trend
    assert "Governance" not in html and "Main weaknesses" not in html


def test_html_in_english(report: MaturityReport) -> None:
    html = render_html(report, "en")
    assert '<html lang="en">' in html
    for label in (
        "Cyber-resilience maturity report",
        "Global maturity index",
        "Main weaknesses",
        "Optimised action plan",
        "Essential entity",
        "Below the reference range",
        "Awareness",
        "420 beds",
    ):
        assert label in html, label
    assert "€180,000" in html and "5.7%" in html and "20 June 2025" in html
    assert "Gouvernance" not in html and "Principales faiblesses" not in html


def test_html_has_every_figure(report: MaturityReport) -> None:
    html = render_html(report, "fr")
    assert "750000001" in html
    for weakness in report.weaknesses:
        assert weakness.title.replace("'", "&#39;") in html
    for control in report.controls:
        assert control.control in html
    for detail in report.referential_details:
        assert len(detail.requirements) > 0
        assert detail.requirements[-1].title.replace("'", "&#39;") in html
    assert "2 autres dans le détail" in html  # 12 weaknesses, 10 on the summary page


def test_html_is_standalone(report: MaturityReport) -> None:
    html = render_html(report, "fr")
    assert "<style>" in html and "@page" in html
    assert html.count("<svg ") == 5  # radar, bars, trend, stack, gauge: all inline
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<link" not in html and "src=" not in html


def test_hostile_establishment_name_is_escaped() -> None:
    base = build_report()
    establishment = base.establishment.model_copy(update={"name": HOSTILE_NAME})
    report = build_report(establishment=EstablishmentInfo.model_validate(establishment.model_dump()))
    html = render_html(report, "fr")
    assert "<img" not in html and "<script" not in html
    assert (
        "CH &lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &lt;script&gt;alert(2)&lt;/script&gt;" in html
    )


def test_minimal_report_renders() -> None:
    report = build_report(
        history=[],
        previous_global_index=None,
        referentials=[],
        weaknesses=[],
        plan=None,
        greedy=None,
        roadmap=[],
        budget=None,
        knowledge_gaps=[],
        controls=[],
        referential_details=[],
    )
    html = render_html(report, "en")
    assert "First campaign: no trend yet" in html
    assert "No weakness below target." in html
    assert html.count("<svg ") == 1  # the radar alone


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdf_summary_is_exactly_two_pages(report: MaturityReport, lang: str, tmp_path: Path) -> None:
    path = render_pdf(report, lang, tmp_path / f"report-{lang}.pdf")
    pages = PdfReader(str(path)).pages
    assert len(pages) > 3
    # Headings are upper-cased by the stylesheet and labels wrap: compare case- and space-insensitively.
    first, second, third = (" ".join(pages[i].extract_text().casefold().split()) for i in range(3))
    assert "centre hospitalier de val-d'aurore" in first
    index = "indice global de maturité 47 / 100" if lang == "fr" else "global maturity index 47 / 100"
    assert index in first
    main_weaknesses = "principales faiblesses" if lang == "fr" else "main weaknesses"
    full_plan = "plan d'action complet" if lang == "fr" else "action plan in full"
    nis2 = "statut nis2" if lang == "fr" else "nis2 status"
    # Page 2 holds the whole second half of the summary, down to its last block ...
    assert main_weaknesses in second and nis2 in second and "2022/2555" in second
    assert main_weaknesses not in first
    # ... and the detail starts on page 3, not before.
    assert full_plan in third and full_plan not in second
    assert f"1 / {len(pages)}" in first  # page numbers in the footer


def test_pdf_summary_stays_two_pages_with_long_texts() -> None:
    long = "Remplacer les équipements réseau obsolètes des blocs opératoires et de la réanimation " * 2
    base = build_report()
    assert base.plan is not None
    actions = [a.model_copy(update={"title": long}) for a in base.plan.actions]
    weaknesses = [w.model_copy(update={"title": long}) for w in base.weaknesses]
    report = build_report(plan=base.plan.model_copy(update={"actions": actions}), weaknesses=weaknesses)
    pages = PdfReader(BytesIO(render_pdf_bytes(report, "fr"))).pages
    assert "plan d'action complet" in pages[2].extract_text().casefold(), "the summary spilled past page 2"
    assert "plan d'action complet" not in pages[1].extract_text().casefold()
