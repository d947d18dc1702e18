"""The management report: its figures from the domains, the trend between two reports, the two board
pages, French and English."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from babel.messages.pofile import read_po
from pypdf import PdfReader
from sqlalchemy.orm import Session

from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerIn, AnswerStatus
from hygie.awareness import service as awareness_service
from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.awareness.schemas import TrainingIn
from hygie.continuity import service as continuity_service
from hygie.continuity.schemas import ApplicationIn, DependencyIn, ServiceIn
from hygie.core.i18n import LOCALE_DIR
from hygie.core.time import today, utcnow
from hygie.demo import service as demo_service
from hygie.detect.models import Alert, AlertLevel, AlertStatus
from hygie.frameworks.schema import Dimension
from hygie.frameworks.service import get_library
from hygie.incidents import service as incidents_service
from hygie.incidents.clocks import ClockStatus
from hygie.incidents.models import Category
from hygie.incidents.models import Severity as CaseSeverity
from hygie.incidents.schemas import CaseIn
from hygie.org.models import Establishment
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, Severity
from hygie.plan.schemas import FindingIn
from hygie.reports import management, service
from hygie.reports.render import render_management_html, render_management_pdf_bytes
from hygie.reports.schemas import ManagementSummary, ThreatKind
from tests.factories import make_establishment


def _alert(session: Session, establishment_id: int, n: int, level: AlertLevel, status: AlertStatus) -> None:
    now = utcnow()
    session.add(
        Alert(
            establishment_id=establishment_id,
            key=f"k{n}",
            rule_id=f"rule-{n}",
            title=f"Alerte {n}",
            level=level,
            host=f"srv{n}",
            first_seen=now - dt.timedelta(hours=2),
            last_seen=now - dt.timedelta(hours=1),
            status=status,
        )
    )
    session.flush()


def _clinic(
    session: Session, service_name: str = "Urgences", case_title: str = "Compte volé"
) -> Establishment:
    """No assessment; one care service whose application was never restored in a test; one open
    incident known for three days; three alerts (one critical open, one critical dismissed, one high
    in progress); two network findings (a critical forbidden flow, a high exposure)."""
    establishment = make_establishment(session)
    _add_threats(session, establishment.id, service_name, case_title)
    return establishment


def _add_threats(session: Session, eid: int, service_name: str, case_title: str) -> None:
    care = continuity_service.create_service(
        session, eid, ServiceIn(name=service_name, rto_hours=2, rpo_hours=1)
    )
    app = continuity_service.create_application(session, eid, ApplicationIn(name="DPI de secours"))
    continuity_service.add_dependency(
        session, eid, DependencyIn(service_id=care.id, on_application_id=app.id)
    )
    incidents_service.open_case(
        session,
        eid,
        CaseIn(
            title=case_title,
            category=Category.ACCOUNT_COMPROMISE,
            severity=CaseSeverity.HIGH,
            detected_at=utcnow() - dt.timedelta(days=3),
        ),
        "rssi",
    )
    _alert(session, eid, 1, AlertLevel.CRITICAL, AlertStatus.NEW)
    _alert(session, eid, 2, AlertLevel.CRITICAL, AlertStatus.FALSE_POSITIVE)
    _alert(session, eid, 3, AlertLevel.HIGH, AlertStatus.IN_PROGRESS)
    plan_service.upsert_findings(
        session,
        eid,
        FindingSource.NETWORK,
        [
            FindingIn(key="policy:R1:users->servers", title="Flux interdit", severity=Severity.CRITICAL),
            FindingIn(key="exposure:203.0.113.5:tcp/3389", title="RDP exposé", severity=Severity.HIGH),
        ],
    )


def test_an_establishment_with_nothing_yet(session: Session) -> None:
    establishment = make_establishment(session)
    summary = management.management_summary(session, establishment.id, get_library(), "fr")
    assert summary.standing.declared_index is None and summary.standing.measured_index is None
    assert summary.plan is None and summary.trend.previous_day is None and summary.trend.lines == []
    assert summary.threats.top == []
    assert summary.headline["critical_findings"] == 0.0 and summary.headline["plan_cost"] is None
    assert list(summary.headline) == list(management.HEADLINE)
    html = render_management_html(summary)
    assert "Pas encore d'évaluation" in html and "premier rapport de direction" in html


def test_declared_and_measured_indexes(session: Session) -> None:
    """Awareness declared at 4 (training, weight 3) and 2 (phishing, weight 2): 100 × 16 / 25 = 64. The
    trainings show half the staff trained: level 2, so measured 100 × (3×2 + 2×2) / 25 = 40. Governance
    (one control at 3: 60) has no fact: the same both ways. Indexes: (64 + 60) / 2 = 62 and
    (40 + 60) / 2 = 50."""
    library = get_library()
    establishment = make_establishment(session)
    eid = establishment.id
    campaign = assess_service.create_campaign(session, eid, "Évaluation", today(), library=library)
    for control, level in (("AWA-TRAINING", 4), ("AWA-PHISHING", 2), ("GOV-RSSI", 3)):
        assess_service.record_answer(
            session, campaign, control, AnswerIn(status=AnswerStatus.LEVEL, level=level), "rssi"
        )
    awareness_service.add_training(
        session,
        eid,
        TrainingIn(
            held_on=today() - dt.timedelta(days=30),
            topic="Hygiène numérique",
            format=TrainingFormat.CLASSROOM,
            department="Urgences",
            staff_category=StaffCategory.NURSING,
            invited=10,
            completed=5,
        ),
    )
    summary = management.management_summary(session, eid, library, "fr")
    standing = summary.standing
    dimensions = {d.dimension: d for d in standing.dimensions}
    assert dimensions[Dimension.AWARENESS].declared == pytest.approx(64.0)
    assert dimensions[Dimension.AWARENESS].measured == pytest.approx(40.0)
    assert (
        dimensions[Dimension.GOVERNANCE].declared
        == dimensions[Dimension.GOVERNANCE].measured
        == pytest.approx(60.0)
    )
    assert dimensions[Dimension.TECHNICAL].declared is None
    assert standing.declared_index == pytest.approx(62.0) and standing.measured_index == pytest.approx(50.0)
    assert standing.measured_controls == 1 and standing.evidence_gaps == 1  # declared 4 ≥ measured 2 + 2
    assert summary.headline["training_completion"] == pytest.approx(50.0)
    assert summary.headline["click_rate"] is None
    assert summary.plan is not None and summary.plan.index_before == pytest.approx(62.0)
    assert summary.plan.adopted is False and summary.plan.index_after >= 62.0


def test_threats_are_counted_from_the_domains(session: Session) -> None:
    establishment = _clinic(session)
    summary = management.management_summary(session, establishment.id, get_library(), "fr")
    threats = summary.threats
    assert threats.critical_findings == 1 and threats.high_findings == 1
    assert threats.critical_alerts_open == 1  # the dismissed one does not count
    assert summary.detection.open_by_level == {
        "critical": 1,
        "high": 1,
        "medium": 0,
        "low": 0,
        "informational": 0,
    }
    assert threats.services_not_ready == 1 and summary.continuity.ready == 0
    assert threats.incidents_open == 1
    # Known three days ago: the CERT Santé report (24 h) is overdue, whatever else is.
    case = incidents_service.list_cases(session, establishment.id)[0]
    overdue = [c for c in incidents_service.case_clocks(session, case) if c.status == ClockStatus.OVERDUE]
    assert threats.deadlines_overdue == len(overdue) >= 1
    assert summary.network.policy_violations == 1 and summary.network.exposures == 1
    assert summary.network.findings == {"critical": 1, "high": 1}
    assert threats.exposed_vulnerable_systems == threats.kev_open == threats.obsolete_systems == 0
    # Critical first, then high; nothing at zero is listed. The service never restored in a test is
    # not known to be too slow: high, not critical.
    assert [(t.kind, t.severity) for t in threats.top] == [
        (ThreatKind.CRITICAL_ALERTS, Severity.CRITICAL),
        (ThreatKind.CRITICAL_FINDINGS, Severity.CRITICAL),
        (ThreatKind.INCIDENTS, Severity.HIGH),
        (ThreatKind.DEADLINES_OVERDUE, Severity.HIGH),
        (ThreatKind.CARE_NOT_READY, Severity.HIGH),
    ]
    not_ready = next(t for t in threats.top if t.kind == ThreatKind.CARE_NOT_READY)
    assert not_ready.names == ["Urgences"] and not_ready.count == 1
    html = render_management_html(summary)
    assert "Urgences" in html and "Compte volé" in html


def test_trend_compares_with_the_last_report_of_an_earlier_day(session: Session) -> None:
    establishment = _clinic(session)
    other = make_establishment(session)
    day = today()
    service.record_snapshot(
        session,
        establishment.id,
        management.KIND,
        {"critical_findings": 3, "incidents_open": 0, "declared_index": None, "click_rate": 20.0},
        day=day - dt.timedelta(days=40),
    )
    service.record_snapshot(
        session, establishment.id, management.KIND, {"critical_findings": 2}, day=day - dt.timedelta(days=10)
    )
    # Neither another establishment's report nor one of today is "the last report".
    service.record_snapshot(
        session, other.id, management.KIND, {"critical_findings": 9}, day=day - dt.timedelta(days=1)
    )
    service.record_snapshot(session, establishment.id, management.KIND, {"critical_findings": 7}, day=day)

    summary = management.management_summary(session, establishment.id, get_library(), "fr")
    assert summary.trend.previous_day == day - dt.timedelta(days=10)
    lines = {line.key: line for line in summary.trend.lines}
    assert list(lines) == list(management.HEADLINE)
    assert lines["critical_findings"].before == 2.0 and lines["critical_findings"].now == 1.0
    assert lines["critical_findings"].delta == -1.0 and lines["critical_findings"].better is True
    assert lines["incidents_open"].before is None  # not in that snapshot
    assert lines["declared_index"].delta is None and lines["declared_index"].better is None

    # With the report of 40 days ago as the last one (as on that day + 1).
    earlier = management.management_summary(
        session, establishment.id, get_library(), "en", on=day - dt.timedelta(days=20)
    )
    lines = {line.key: line for line in earlier.trend.lines}
    assert earlier.trend.previous_day == day - dt.timedelta(days=40)
    assert lines["incidents_open"].before == 0.0 and lines["incidents_open"].now == 1.0
    assert lines["incidents_open"].better is False  # one more incident is bad news
    html = render_management_html(summary)
    assert "Comparé au rapport du" in html and "premier rapport" not in html


def test_generating_stores_one_snapshot_a_day(session: Session) -> None:
    establishment = _clinic(session)
    library = get_library()
    summary, content = management.generate(session, establishment.id, library, "fr", "html")
    assert content.decode("utf-8").startswith("<!DOCTYPE html>")
    management.generate(session, establishment.id, library, "en", "html")  # the same day: replaces
    snapshots = service.list_snapshots(session, establishment.id, management.KIND)
    assert len(snapshots) == 1 and snapshots[0].day == today()
    assert snapshots[0].figures == summary.headline
    # Today's report is not its own trend: still the first report.
    again = management.management_summary(session, establishment.id, library, "fr")
    assert again.trend.previous_day is None


# --- The two board pages ---------------------------------------------------------------------------


def _pages(summary: ManagementSummary) -> list[str]:
    reader = PdfReader(io.BytesIO(render_management_pdf_bytes(summary)))
    return [" ".join(page.extract_text().casefold().split()) for page in reader.pages]


def _assert_board_is_two_pages(pages: list[str], lang: str) -> None:
    first, second, third = pages[0], pages[1], pages[2]
    where, threats, plan, trend, detail = (
        (
            "1. où nous en sommes",
            "2. ce qui menace les soins",
            "3. ce que coûte le plan",
            "5. évolution",
            "évaluation",
        )
        if lang == "fr"
        else (
            "1. where we stand",
            "2. what threatens care",
            "3. what the plan costs",
            "5. trend",
            "assessment",
        )
    )
    assert where in first and threats in first and plan not in first
    assert second.startswith(plan) and trend in second, "the first page spilled over the second"
    assert third.startswith(detail), "the board part is not exactly two pages"
    assert f"1 / {len(pages)}" in first


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_board_is_exactly_two_pages_for_the_demo_with_a_trend(session: Session, lang: str) -> None:
    library = get_library()
    eid = demo_service.build(session, library, inventory=False).establishment_id
    figures = {key: 1.0 for key in management.HEADLINE}  # every line of the trend is shown
    service.record_snapshot(session, eid, management.KIND, figures, day=today() - dt.timedelta(days=90))
    summary = management.management_summary(session, eid, library, lang)
    assert len(summary.trend.lines) == len(management.HEADLINE) and summary.plan is not None
    _assert_board_is_two_pages(_pages(summary), lang)


def test_board_stays_two_pages_with_long_names(session: Session) -> None:
    """The demo (every board section filled, a trend of every figure) with a care service, an incident
    and dozens of alerts more, their names as long as the forms allow."""
    library = get_library()
    eid = demo_service.build(session, library, inventory=False).establishment_id
    _add_threats(session, eid, "Service " + "très " * 37 + "long", "Incident " * 33)
    for n in range(10, 50):
        _alert(session, eid, n, AlertLevel.CRITICAL, AlertStatus.NEW)
    figures = {key: 1.0 for key in management.HEADLINE}
    service.record_snapshot(session, eid, management.KIND, figures, day=today() - dt.timedelta(days=90))
    summary = management.management_summary(session, eid, library, "fr")
    assert len(summary.threats.top) >= 5
    _assert_board_is_two_pages(_pages(summary), "fr")


# --- French and English ----------------------------------------------------------------------------


def _visible_text(html: str) -> str:
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def _catalogue_pairs() -> list[tuple[str, str]]:
    """(English, French) of every catalogue message without placeholders, long enough not to be a word
    the data may hold."""
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    return [
        (m.id, m.string)
        for m in catalogue
        if isinstance(m.id, str)
        and isinstance(m.string, str)
        and m.id
        and "%" not in m.id
        and "<" not in m.id
        if min(len(m.id), len(m.string)) >= 18 and m.string != m.id
    ]


def test_french_and_english_are_complete(session: Session) -> None:
    library = get_library()
    eid = demo_service.build(session, library, inventory=False).establishment_id
    service.record_snapshot(
        session, eid, management.KIND, {"declared_index": 10.0}, day=today() - dt.timedelta(days=7)
    )
    french = _visible_text(render_management_html(management.management_summary(session, eid, library, "fr")))
    english = _visible_text(
        render_management_html(management.management_summary(session, eid, library, "en"))
    )
    pairs = _catalogue_pairs()
    assert not [en for en, _fr in pairs if en in french], "English left in the French report"
    assert not [fr for _en, fr in pairs if fr in english], "French left in the English report"
    for words in (
        "Où nous en sommes",
        "Ce qui menace les soins",
        "Situation réglementaire",
        "Rapport de direction",
    ):
        assert words in french
    for words in ("Where we stand", "What threatens care", "Regulatory status", "Management report"):
        assert words in english
