"""The group view's figures, computed by hand from the answers and actions of tests/group/conftest.py."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, PermissionDenied
from hygie.frameworks.schema import Dimension
from hygie.group import service
from hygie.org.access import Principal, principal_for
from hygie.plan.models import FindingSource, Severity
from tests.factories import make_establishment
from tests.group.conftest import A_NAME, B_NAME, C_NAME, Ght, assess


def test_the_group_rssi_sees_both_establishments_side_by_side(session: Session, ght: Ght) -> None:
    view = service.group_view(session, principal_for(session, ght.group_rssi), ght.nord, ght.library, "fr")
    assert view.name == "GHT Nord"
    assert [c.name for c in view.establishments] == [A_NAME, B_NAME]
    a, b = view.establishments
    # One control per dimension: a dimension's score is 20 × its level.
    assert [d.dimension for d in a.dimensions] == list(Dimension)
    assert [d.score for d in a.dimensions] == pytest.approx([20, 40, 60, 80, 100])
    assert [d.score for d in b.dimensions] == pytest.approx([60, 60, 60, 60, 60])
    assert a.global_index == pytest.approx(60) and b.global_index == pytest.approx(60)
    assert a.campaign == "Auto-évaluation 2026"


def test_benchmark_against_the_median_of_two(session: Session, ght: Ght) -> None:
    view = service.group_view(session, principal_for(session, ght.group_rssi), ght.nord, ght.library, "fr")
    # Medians of two are their means: (20+60)/2, (40+60)/2, 60, (80+60)/2, (100+60)/2.
    assert [m.median for m in view.medians] == pytest.approx([40, 50, 60, 70, 80])
    assert [m.measured for m in view.medians] == [2] * 5
    assert view.global_median == pytest.approx(60)
    a, b = view.establishments
    assert [d.difference for d in a.dimensions] == pytest.approx([-20, -10, 0, 10, 20])
    assert [d.difference for d in b.dimensions] == pytest.approx([20, 10, 0, -10, -20])
    assert a.global_difference == pytest.approx(0) and b.global_difference == pytest.approx(0)


def test_median_of_three_and_an_establishment_never_assessed(session: Session, ght: Ght) -> None:
    # A third member scored 40, 80, 20, 100, 100 (index 68), and a fourth without any campaign.
    d = make_establishment(session, name="CH Delta", group="GHT Nord")
    make_establishment(session, name="CH Echo", group="GHT Nord")
    assess(session, d.id, (2, 4, 1, 5, 5), ght.library)
    view = service.group_view(session, Principal.cli(), ght.nord, ght.library, "en")
    assert [c.name for c in view.establishments] == [A_NAME, B_NAME, "CH Delta", "CH Echo"]
    # Governance: median(20, 60, 40) = 40; technical median(40, 60, 80) = 60; awareness
    # median(60, 60, 20) = 60; continuity median(80, 60, 100) = 80; incidents median(100, 60, 100) = 100.
    assert [m.median for m in view.medians] == pytest.approx([40, 60, 60, 80, 100])
    assert [m.measured for m in view.medians] == [3] * 5
    assert view.global_median == pytest.approx(60)  # median(60, 60, 68)
    delta, echo = view.establishments[2], view.establishments[3]
    assert delta.global_index == pytest.approx(68) and delta.global_difference == pytest.approx(8)
    assert [c.difference for c in delta.dimensions] == pytest.approx([0, 20, -40, 20, 0])
    assert echo.global_index is None and echo.global_difference is None and echo.campaign is None
    assert all(c.score is None and c.difference is None for c in echo.dimensions)


def test_shared_weaknesses_stay_within_the_group(session: Session, ght: Ght) -> None:
    view = service.group_view(session, principal_for(session, ght.group_rssi), ght.nord, ght.library, "en")
    # A is below target on GOV-RSSI and TEC-PATCH, B on TEC-PATCH and CON-BACKUP-OFFLINE; C (another
    # group) on all five, which must not make GOV-RSSI or CON-BACKUP-OFFLINE "shared".
    assert [w.key for w in view.shared_weaknesses] == ["control:TEC-PATCH"]
    shared = view.shared_weaknesses[0]
    assert shared.establishments == [A_NAME, B_NAME]
    assert shared.establishment_ids == [ght.a.id, ght.b.id]
    assert shared.source == FindingSource.ASSESSMENT and shared.control == "TEC-PATCH"
    # A: gap 2 × weight 3 = 6, medium; B: gap 1 × 3 = 3, low. The worst is kept.
    assert shared.severity == Severity.MEDIUM
    assert shared.title.startswith("TEC-PATCH — ")


def test_consolidated_plan_and_budget(session: Session, ght: Ght) -> None:
    view = service.group_view(session, principal_for(session, ght.group_rssi), ght.nord, ght.library, "fr")
    a, b = view.establishments
    # A: 40 000 to do + 6 000 done (the cancelled 1 000 left out); B: 30 000 to do.
    assert (a.plan.actions, a.plan.done, a.plan.cost, a.plan.remaining_cost) == (2, 1, 46_000, 40_000)
    assert (b.plan.actions, b.plan.done, b.plan.cost, b.plan.remaining_cost) == (1, 0, 30_000, 30_000)
    # What each buys: A's GOV-RSSI 1 → 4 (governance 80): (80+40+60+80+100)/5 = 72; B's
    # CON-BACKUP-OFFLINE 3 → 5 (continuity 100): (4×60+100)/5 = 68.
    assert a.plan.index_before == pytest.approx(60) and a.plan.index_after == pytest.approx(72)
    assert b.plan.index_before == pytest.approx(60) and b.plan.index_after == pytest.approx(68)
    budget = view.budget
    assert budget.plan_cost == 76_000 and budget.remaining_cost == 70_000
    assert budget.security_budgets == 120_000 and budget.unknown_budgets == [B_NAME]
    assert budget.annual_plan_cost == 76_000  # each plan within one year
    assert budget.annual_share == pytest.approx(100 * 76_000 / 120_000)
    assert [(x.quarter, x.establishment, x.cost) for x in view.actions] == [
        ("2027-Q1", A_NAME, 40_000),
        ("2027-Q1", B_NAME, 30_000),
        ("2027-Q2", A_NAME, 6_000),
    ]
    # The catalogue's title in the reader's language; a manual action keeps its own.
    assert view.actions[0].title != "Action ACT-RSSI-APPOINT"
    assert view.actions[2].title == "Action MANUAL-REGISTER"


def test_headline_figures(session: Session, ght: Ght) -> None:
    view = service.group_view(session, principal_for(session, ght.group_rssi), ght.nord, ght.library, "fr")
    a, b = view.establishments
    assert (a.headline.open_alerts, b.headline.open_alerts) == (0, 2)  # C's 7 never count
    assert a.headline.open_incidents == 0 and a.headline.phishing_click_rate is None


def test_an_establishment_rssi_cannot_open_its_group(session: Session, ght: Ght) -> None:
    principal = principal_for(session, ght.a_rssi)
    with pytest.raises(NotFoundError, match=rf"no group {ght.nord}$"):
        service.group_view(session, principal, ght.nord, ght.library, "fr")
    assert service.list_groups(session, principal) == []
    # The same words as a group that does not exist.
    with pytest.raises(NotFoundError, match=r"no group 987654$"):
        service.group_view(session, principal, 987654, ght.library, "fr")


def test_the_group_rssi_never_sees_the_other_group(session: Session, ght: Ght) -> None:
    principal = principal_for(session, ght.group_rssi)
    assert [g.name for g in service.list_groups(session, principal)] == ["GHT Nord"]
    with pytest.raises(NotFoundError):
        service.group_view(session, principal, ght.sud, ght.library, "fr")
    view = service.group_view(session, principal, ght.nord, ght.library, "fr")
    text = view.model_dump_json()
    assert C_NAME not in text and str(ght.c.id) not in [str(c.id) for c in view.establishments]
    assert "999000" not in text and "777000" not in text


def test_a_group_technician_is_refused_but_knows_the_group(session: Session, ght: Ght) -> None:
    with pytest.raises(PermissionDenied):
        service.group_view(session, principal_for(session, ght.group_technician), ght.nord, ght.library, "fr")


def test_an_establishment_moved_out_of_the_group_leaves_its_view(session: Session, ght: Ght) -> None:
    from hygie.org import service as org_service

    org_service.set_group(session, ght.b, "GHT Sud")
    view = service.group_view(session, principal_for(session, ght.group_rssi), ght.nord, ght.library, "fr")
    assert [c.name for c in view.establishments] == [A_NAME]
    assert view.shared_weaknesses == []


def test_the_same_figures_as_each_establishments_dashboard(session: Session, ght: Ght) -> None:
    from hygie.reports import service as reports_service

    view = service.group_view(session, Principal.cli(), ght.nord, ght.library, "fr")
    for column in view.establishments:
        report = reports_service.maturity_report(session, column.id, ght.library, lang="fr")
        assert column.global_index == pytest.approx(report.global_index)
        assert [c.score for c in column.dimensions] == pytest.approx([d.score for d in report.dimensions])
        assert report.plan is not None and report.plan.adopted
        assert column.plan.index_after == pytest.approx(report.plan.index_after)
        assert column.plan.cost == report.plan.total_cost
