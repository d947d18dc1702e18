from __future__ import annotations

import pytest
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, ValidationError
from hygie.org import service
from hygie.org.finess import finess_problem, luhn_valid
from hygie.org.models import EstablishmentKind
from hygie.org.schemas import EstablishmentIn, Nis2Category
from tests.factories import make_establishment, valid_finess


@pytest.mark.parametrize("number", ["750803447", "330781196"])
def test_real_finess_numbers_are_valid(number: str) -> None:
    assert finess_problem(number) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [("750803448", "check digit"), ("75080344", "9 characters"), ("7508034A7", "9 characters")],
)
def test_bad_finess_numbers_are_refused_with_the_reason(number: str, why: str) -> None:
    problem = finess_problem(number)
    assert problem is not None and why in problem


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_schema_rejects_bad_finess() -> None:
    with pytest.raises(PydanticValidationError, match="check digit"):
        EstablishmentIn(name="X", finess="750803448", kind=EstablishmentKind.CH)


def test_create_and_find(session: Session) -> None:
    created = make_establishment(session, name="CH de Test", group="GHT Test")
    assert service.find_establishment(session, str(created.id)).name == "CH de Test"
    assert service.find_establishment(session, created.finess).id == created.id
    assert service.find_establishment(session, "CH de Test").id == created.id
    assert created.group is not None and created.group.name == "GHT Test"
    with pytest.raises(NotFoundError):
        service.find_establishment(session, "nope")


def test_duplicate_finess_is_refused(session: Session) -> None:
    finess = valid_finess()
    make_establishment(session, finess=finess)
    with pytest.raises(ValidationError, match="already exists"):
        make_establishment(session, finess=finess)


def test_budgets_above_32_bits_are_stored(session: Session) -> None:
    created = make_establishment(session, annual_budget=1_700_000_000_000)
    session.expire_all()
    assert service.get_establishment(session, created.id).annual_budget == 1_700_000_000_000


@pytest.mark.parametrize(
    ("staff", "budget", "designated", "expected", "reason"),
    [
        (1800, 180_000_000, False, Nis2Category.ESSENTIAL, "1800 staff, at least 250"),
        (120, 60_000_000, False, Nis2Category.ESSENTIAL, "above 50 M€"),
        (249, 9_000_000, False, Nis2Category.IMPORTANT, "249 staff, at least 50"),
        (30, 12_000_000, False, Nis2Category.IMPORTANT, "above 10 M€"),
        (30, 4_000_000, False, Nis2Category.OUT_OF_SCOPE, "out of scope"),
        (30, 4_000_000, True, Nis2Category.ESSENTIAL, "designated"),
    ],
)
def test_nis2_status_is_derived_and_explained(
    session: Session, staff: int, budget: int, designated: bool, expected: Nis2Category, reason: str
) -> None:
    establishment = make_establishment(session, staff=staff, annual_budget=budget, nis2_designated=designated)
    status = service.nis2_status(establishment, lang="en")
    assert status.category == expected
    assert any(reason in r for r in status.reasons)
    assert "Annex I" in status.reasons[0]


def test_balance_sheet_below_threshold_keeps_a_big_budget_medium(session: Session) -> None:
    establishment = make_establishment(
        session, staff=200, annual_budget=60_000_000, balance_sheet_total=20_000_000
    )
    assert service.nis2_status(establishment).category == Nis2Category.IMPORTANT


def test_nis2_reasons_are_in_french_by_default(session: Session) -> None:
    establishment = make_establishment(session, staff=120, annual_budget=60_000_000)
    reasons = service.nis2_status(establishment).reasons
    assert "annexe I" in reasons[0]
    assert "60\u202f000\u202f000\xa0€" in reasons[-1] or "60 000 000" in reasons[-1].replace("\u202f", " ")
    assert "grande entreprise" in reasons[-1]


def test_update_changes_only_the_given_fields(session: Session) -> None:
    from hygie.org.schemas import EstablishmentUpdate

    establishment = make_establishment(session, staff=30, annual_budget=4_000_000, group="GHT A")
    assert service.nis2_status(establishment).category == Nis2Category.OUT_OF_SCOPE
    service.update_establishment(session, establishment, EstablishmentUpdate(staff=300))
    assert establishment.staff == 300 and establishment.annual_budget == 4_000_000
    assert establishment.group is not None and establishment.group.name == "GHT A"
    assert service.nis2_status(establishment).category == Nis2Category.ESSENTIAL
    service.update_establishment(session, establishment, EstablishmentUpdate(group="GHT B"))
    assert establishment.group is not None and establishment.group.name == "GHT B"
