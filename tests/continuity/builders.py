"""A small continuity set-up shared by the continuity tests: two services, three applications, two
assets, two backup policies (one never restore-tested)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind, Importer
from hygie.assets.schemas import AssetRecord, ImportSource
from hygie.continuity import service
from hygie.continuity.models import ApplicationKind, Criticality, MediaKind, ServiceKind
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    PolicyIn,
    RestoreTestIn,
    ServiceIn,
)
from tests.factories import make_establishment


@dataclass
class Setup:
    establishment_id: int
    urgences: int
    labo: int
    dpi: int
    ad: int
    lis: int
    dpi_server: int
    dc: int


def assets(session: Session, establishment_id: int, *names_zones: tuple[str, str]) -> list[int]:
    records = [
        AssetRecord(name=name, hostname=f"{name}.local", kind=AssetKind.SERVER, network_zone=zone)
        for name, zone in names_zones
    ]
    assets_service.import_assets(
        session, establishment_id, records, ImportSource(importer=Importer.CSV, file_name="inventaire.csv")
    )
    by_name = {a.name: a.id for a in assets_service.list_assets(session, establishment_id)}
    return [by_name[name] for name, _zone in names_zones]


def build(session: Session) -> Setup:
    eid = make_establishment(session).id
    dpi_server, dc = assets(session, eid, ("dpi-app01", "Serveurs"), ("dc01", "Cœur de réseau"))
    urgences = service.create_service(
        session,
        eid,
        ServiceIn(
            name="Urgences",
            kind=ServiceKind.EMERGENCY,
            rto_hours=4,
            rpo_hours=1,
            procedure_ref="PROC-URG-01",
            procedure_reviewed_on=date(2026, 3, 1),
        ),
    ).id
    labo = service.create_service(
        session, eid, ServiceIn(name="Laboratoire", kind=ServiceKind.LABORATORY, rto_hours=8, rpo_hours=4)
    ).id
    dpi = service.create_application(
        session, eid, ApplicationIn(name="DPI", kind=ApplicationKind.PATIENT_RECORD)
    ).id
    ad = service.create_application(
        session, eid, ApplicationIn(name="Annuaire", kind=ApplicationKind.IDENTITY)
    ).id
    lis = service.create_application(session, eid, ApplicationIn(name="SIL", kind=ApplicationKind.LIS)).id
    service.add_dependency(session, eid, DependencyIn(service_id=urgences, on_application_id=dpi))
    service.add_dependency(session, eid, DependencyIn(service_id=labo, on_application_id=lis))
    service.add_dependency(session, eid, DependencyIn(application_id=dpi, on_application_id=ad))
    service.add_dependency(
        session,
        eid,
        DependencyIn(application_id=lis, on_application_id=dpi, criticality=Criticality.DEGRADED),
    )
    service.link_asset(session, eid, dpi, dpi_server)
    service.link_asset(session, eid, ad, dc)
    service.set_policy(
        session,
        eid,
        dpi,
        PolicyIn(
            copies=3,
            media=[MediaKind.DISK, MediaKind.TAPE],
            offsite_copies=1,
            offline_copy=True,
            job_name="DPI - base",
        ),
    )
    service.set_policy(session, eid, lis, PolicyIn(copies=2, media=[MediaKind.DISK], job_name="SIL"))
    service.log_restore_test(
        session, eid, dpi, RestoreTestIn(tested_on=date(2026, 9, 15), duration_hours=6, data_loss_hours=0.5)
    )
    return Setup(eid, urgences, labo, dpi, ad, lis, dpi_server, dc)
