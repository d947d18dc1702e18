"""The awareness service on SQLite and PostgreSQL: imports, the overview and the plan's findings."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from hygie.awareness import service
from hygie.awareness.gophish import GophishResults, Recipient
from hygie.awareness.models import RecordSource, StaffCategory, TrainingFormat
from hygie.awareness.schemas import TrainingIn
from hygie.core.errors import NotFoundError, ValidationError
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, FindingStatus
from tests.factories import make_establishment

AS_OF = date(2026, 11, 1)


def recipients(department: str, sent: int, clicked: int, reported: int) -> list[Recipient]:
    """``sent`` recipients: the first ``clicked`` clicked, the last ``reported`` reported."""
    return [
        Recipient(
            f"p{i}@{department}.fr", department, step=3 if i < clicked else 1, reported=i >= sent - reported
        )
        for i in range(sent)
    ]


def training(department: str, invited: int, completed: int, **changes: object) -> TrainingIn:
    values: dict[str, object] = {
        "held_on": date(2026, 6, 1),
        "topic": "Hameçonnage",
        "format": TrainingFormat.CLASSROOM,
        "department": department,
        "staff_category": StaffCategory.NURSING,
        "invited": invited,
        "completed": completed,
    }
    values.update(changes)
    return TrainingIn.model_validate(values)


def test_phishing_import_overview_and_findings(session: Session) -> None:
    est = make_establishment(session).id
    spring = GophishResults(
        recipients("Urgences", 10, 5, 1) + recipients("Bloc", 10, 1, 5), date(2026, 3, 10)
    )
    autumn = GophishResults(
        recipients("Urgences", 10, 1, 4) + recipients("Bloc", 10, 4, 1), date(2026, 10, 6)
    )
    service.import_phishing(
        session, est, "Printemps", spring, source=RecordSource.GOPHISH_CSV, file_name="p.csv"
    )
    service.import_phishing(session, est, "Automne", autumn, source=RecordSource.GOPHISH_API)
    service.import_trainings(session, est, [training("Urgences", 10, 9), training("Bloc", 10, 5)], "f.csv")

    view = service.overview(session, est, AS_OF)
    assert view.campaigns == 2 and view.last_campaign == date(2026, 10, 6)
    rows = {d.department: d for d in view.departments}
    assert rows["Urgences"].click_rate == 10.0 and rows["Urgences"].click_change == pytest.approx(-40.0)
    assert rows["Urgences"].report_rate == 40.0 and rows["Urgences"].report_change == pytest.approx(30.0)
    assert rows["Bloc"].click_rate == 40.0 and rows["Bloc"].click_change == pytest.approx(30.0)
    assert rows["Bloc"].completion_rate == 50.0
    assert [p.campaign for p in rows["Bloc"].trend] == ["Printemps", "Automne"]
    assert [p.click_rate for p in view.trend] == [30.0, 25.0]
    assert [(c.group, c.invited, c.completed) for c in view.categories] == [("nursing", 20, 14)]

    keys = {f.key for f in service.refresh_findings(session, est, AS_OF)}
    assert keys == {"phishing:clicked:Bloc", "phishing:reported:Bloc", "training:completion:Bloc"}
    stored = plan_service.list_findings(session, est, source=FindingSource.AWARENESS)
    assert {f.key for f in stored} == keys

    # The same campaign again, better: replaced, and its findings resolved.
    better = GophishResults(
        recipients("Urgences", 10, 1, 4) + recipients("Bloc", 10, 1, 6), date(2026, 10, 6)
    )
    service.import_phishing(session, est, "Automne", better, source=RecordSource.GOPHISH_API)
    assert [c.name for c in service.list_campaigns(session, est)] == ["Automne", "Printemps"]
    service.refresh_findings(session, est, AS_OF)
    status = {
        f.key: f.status
        for f in plan_service.list_findings(session, est, status=None, source=FindingSource.AWARENESS)
    }
    assert status["phishing:clicked:Bloc"] == FindingStatus.RESOLVED
    assert status["training:completion:Bloc"] == FindingStatus.OPEN


def test_campaign_output_and_isolation(session: Session) -> None:
    est = make_establishment(session).id
    other = make_establishment(session).id
    campaign = service.import_phishing(
        session,
        est,
        "  Colis  ",
        GophishResults([*recipients("Urgences", 4, 2, 1), Recipient("x@y.fr", "", 0)], date(2026, 3, 1)),
        source=RecordSource.GOPHISH_CSV,
    )
    out = service.campaign_out(service.get_campaign(session, est, campaign.id))
    assert out.name == "Colis"
    assert (out.totals.recipients, out.totals.sent, out.totals.clicked) == (5, 4, 2)
    assert [d.department for d in out.departments] == ["", "Urgences"]
    assert out.departments[1].click_rate == 50.0
    with pytest.raises(NotFoundError):
        service.get_campaign(session, other, campaign.id)
    assert service.list_campaigns(session, other) == []


def test_refusals(session: Session) -> None:
    est = make_establishment(session).id
    with pytest.raises(ValidationError, match="no recipient"):
        service.import_phishing(session, est, "Vide", GophishResults([]), source=RecordSource.GOPHISH_CSV)
    with pytest.raises(ValidationError, match="launch date"):
        service.import_phishing(
            session,
            est,
            "Pas envoyée",
            GophishResults([Recipient("a@b.fr")]),
            source=RecordSource.GOPHISH_CSV,
        )
    with pytest.raises(ValidationError, match="no training session"):
        service.import_trainings(session, est, [], "vide.csv")
    added = service.add_training(session, est, training("Urgences", 3, 1))
    assert [t.id for t in service.list_trainings(session, est)] == [added.id]
