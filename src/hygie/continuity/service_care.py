"""Care services, applications, their dependencies and the assets they run on: the graph that
``impact`` reads. Written only through ``hygie.continuity.service`` (which re-exports these
functions); every read and write is filtered by establishment, an id of another establishment is
"not found", the same as a missing one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.continuity.models import (
    Application,
    ApplicationAsset,
    BackupJob,
    BackupPolicy,
    CareService,
    Dependency,
    RestoreTest,
)
from hygie.continuity.schemas import ApplicationIn, DependencyIn, ServiceIn
from hygie.core.errors import NotFoundError, ValidationError
from hygie.org import service as org_service

REVIEW_MONTHS = 12  # a degraded-mode procedure not reviewed for a year is overdue


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28))


def _unique(session: Session, what: str, name: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise ValidationError(f"{what} {name!r} already exists in this establishment") from exc


# --- Care services and applications ----------------------------------------------------------------


def create_service(session: Session, establishment_id: int, data: ServiceIn) -> CareService:
    org_service.get_establishment(session, establishment_id)
    row = CareService(establishment_id=establishment_id, **data.model_dump())
    with session.begin_nested():
        session.add(row)
        _unique(session, "a care service", data.name)
    return row


def update_service(session: Session, establishment_id: int, service_id: int, data: ServiceIn) -> CareService:
    row = get_service(session, establishment_id, service_id)
    with session.begin_nested():
        for name, value in data.model_dump().items():
            setattr(row, name, value)
        _unique(session, "a care service", data.name)
    return row


def get_service(session: Session, establishment_id: int, service_id: int) -> CareService:
    row = session.get(CareService, service_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no care service {service_id} in establishment {establishment_id}")
    return row


def find_service(session: Session, establishment_id: int, ref: str) -> CareService:
    """A care service by id or by name (case ignored)."""
    if ref.strip().isdigit():
        return get_service(session, establishment_id, int(ref))
    for row in list_services(session, establishment_id):
        if row.name.casefold() == ref.strip().casefold():
            return row
    raise NotFoundError(f"no care service {ref!r} in establishment {establishment_id}")


def list_services(session: Session, establishment_id: int) -> list[CareService]:
    query = select(CareService).where(CareService.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(CareService.name, CareService.id)))


def delete_service(session: Session, establishment_id: int, service_id: int) -> None:
    row = get_service(session, establishment_id, service_id)
    session.execute(delete(Dependency).where(Dependency.service_id == row.id))
    session.delete(row)
    session.flush()


def create_application(session: Session, establishment_id: int, data: ApplicationIn) -> Application:
    org_service.get_establishment(session, establishment_id)
    row = Application(establishment_id=establishment_id, **data.model_dump())
    with session.begin_nested():
        session.add(row)
        _unique(session, "an application", data.name)
    return row


def get_application(session: Session, establishment_id: int, application_id: int) -> Application:
    row = session.get(Application, application_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no application {application_id} in establishment {establishment_id}")
    return row


def find_application(session: Session, establishment_id: int, ref: str) -> Application:
    """An application by id or by name (case ignored)."""
    if ref.strip().isdigit():
        return get_application(session, establishment_id, int(ref))
    for row in list_applications(session, establishment_id):
        if row.name.casefold() == ref.strip().casefold():
            return row
    raise NotFoundError(f"no application {ref!r} in establishment {establishment_id}")


def list_applications(session: Session, establishment_id: int) -> list[Application]:
    query = select(Application).where(Application.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(Application.name, Application.id)))


def update_application(
    session: Session, establishment_id: int, application_id: int, data: ApplicationIn
) -> Application:
    row = get_application(session, establishment_id, application_id)
    with session.begin_nested():
        row.name, row.kind = data.name, data.kind
        _unique(session, "an application", data.name)
    return row


def delete_application(session: Session, establishment_id: int, application_id: int) -> None:
    row = get_application(session, establishment_id, application_id)
    # Children first, by statement: the tables have no ORM relationships to order the deletes by.
    session.execute(
        delete(Dependency).where(
            (Dependency.application_id == row.id) | (Dependency.on_application_id == row.id)
        )
    )
    session.execute(delete(ApplicationAsset).where(ApplicationAsset.application_id == row.id))
    policies = select(BackupPolicy.id).where(BackupPolicy.application_id == row.id)
    session.execute(delete(RestoreTest).where(RestoreTest.policy_id.in_(policies)))
    session.execute(update(BackupJob).where(BackupJob.policy_id.in_(policies)).values(policy_id=None))
    session.execute(delete(BackupPolicy).where(BackupPolicy.application_id == row.id))
    session.delete(row)
    session.flush()


# --- Dependencies and assets -----------------------------------------------------------------------


def add_dependency(session: Session, establishment_id: int, data: DependencyIn) -> Dependency:
    """``data.service_id`` or ``data.application_id`` (exactly one) depends on ``on_application_id``;
    an existing edge takes the new criticality."""
    if (data.service_id is None) == (data.application_id is None):
        raise ValidationError("give either a care service or an application as the dependent, not both")
    get_application(session, establishment_id, data.on_application_id)
    if data.service_id is not None:
        get_service(session, establishment_id, data.service_id)
    elif data.application_id is not None:
        get_application(session, establishment_id, data.application_id)
        if data.application_id == data.on_application_id:
            raise ValidationError("an application cannot depend on itself")
    existing = session.scalar(
        select(Dependency).where(
            Dependency.establishment_id == establishment_id,
            Dependency.service_id.is_(None)
            if data.service_id is None
            else Dependency.service_id == data.service_id,
            Dependency.application_id.is_(None)
            if data.application_id is None
            else Dependency.application_id == data.application_id,
            Dependency.on_application_id == data.on_application_id,
        )
    )
    if existing is not None:
        existing.criticality = data.criticality
        session.flush()
        return existing
    row = Dependency(establishment_id=establishment_id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def remove_dependency(session: Session, establishment_id: int, dependency_id: int) -> None:
    row = session.get(Dependency, dependency_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no dependency {dependency_id} in establishment {establishment_id}")
    session.delete(row)
    session.flush()


def list_dependencies(session: Session, establishment_id: int) -> list[Dependency]:
    query = select(Dependency).where(Dependency.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(Dependency.id)))


def link_asset(
    session: Session, establishment_id: int, application_id: int, asset_id: int
) -> ApplicationAsset:
    """The application runs on the asset; an asset of another establishment is "not found"."""
    get_application(session, establishment_id, application_id)
    assets_service.get_asset(session, establishment_id, asset_id)
    existing = session.scalar(
        select(ApplicationAsset).where(
            ApplicationAsset.application_id == application_id, ApplicationAsset.asset_id == asset_id
        )
    )
    if existing is not None:
        return existing
    row = ApplicationAsset(application_id=application_id, asset_id=asset_id)
    session.add(row)
    session.flush()
    return row


def unlink_asset(session: Session, establishment_id: int, application_id: int, asset_id: int) -> None:
    get_application(session, establishment_id, application_id)
    row = session.scalar(
        select(ApplicationAsset).where(
            ApplicationAsset.application_id == application_id, ApplicationAsset.asset_id == asset_id
        )
    )
    if row is None:
        raise NotFoundError(f"application {application_id} does not run on asset {asset_id}")
    session.delete(row)
    session.flush()


def assets_of(session: Session, establishment_id: int) -> dict[int, list[int]]:
    """Application id → the ids of the assets it runs on."""
    query = (
        select(ApplicationAsset)
        .join(Application, Application.id == ApplicationAsset.application_id)
        .where(Application.establishment_id == establishment_id)
        .order_by(ApplicationAsset.asset_id)
    )
    result: dict[int, list[int]] = {}
    for row in session.scalars(query):
        result.setdefault(row.application_id, []).append(row.asset_id)
    return result


def procedure_overdue(row: CareService, on: date) -> bool:
    """No degraded-mode procedure, never reviewed, or last reviewed more than 12 months ago."""
    if not row.procedure_ref or row.procedure_reviewed_on is None:
        return True
    return row.procedure_reviewed_on < months_before(on, REVIEW_MONTHS)
