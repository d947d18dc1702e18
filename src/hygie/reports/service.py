"""Writing reports to files: the one place that turns report data into HTML and PDF on disk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.time import today, utcnow
from hygie.frameworks.loader import Library
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.schemas import CostBasis
from hygie.reports.maturity import build_maturity_report
from hygie.reports.models import ReportSnapshot
from hygie.reports.render import render_html, render_pdf
from hygie.reports.schemas import MaturityReport

DEFAULT_BUDGET = 100_000
DEFAULT_DAYS = 200.0


def default_budget(session: Session, establishment_id: int) -> int:
    """The security budget of the establishment when known: what it can spend next year."""
    establishment = org_service.get_establishment(session, establishment_id)
    return establishment.security_budget or DEFAULT_BUDGET


def maturity_report(
    session: Session,
    establishment_id: int,
    library: Library,
    *,
    lang: str,
    budget: int | None = None,
    days: float | None = DEFAULT_DAYS,
    campaign_id: int | None = None,
    basis: CostBasis = CostBasis.MID,
) -> MaturityReport:
    plan_service.refresh_from_assessment(session, establishment_id, library)
    return build_maturity_report(
        session,
        establishment_id,
        library,
        lang=lang,
        budget=budget if budget is not None else default_budget(session, establishment_id),
        days=days,
        campaign_id=campaign_id,
        basis=basis,
    )


def default_paths(folder: Path, finess: str, lang: str) -> tuple[Path, Path]:
    stem = f"hygie-maturite-{finess}-{today().isoformat()}-{lang}"
    return folder / f"{stem}.html", folder / f"{stem}.pdf"


def write_report(report: MaturityReport, lang: str, html: Path | None, pdf: Path | None) -> list[Path]:
    written: list[Path] = []
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(report, lang), encoding="utf-8")
        written.append(html)
    if pdf is not None:
        pdf.parent.mkdir(parents=True, exist_ok=True)
        render_pdf(report, lang, pdf)
        written.append(pdf)
    return written


# --- Snapshots of the headline figures (the trend of the next report) ------------------------------


def record_snapshot(
    session: Session,
    establishment_id: int,
    kind: str,
    figures: dict[str, Any],
    *,
    day: dt.date | None = None,
    generated_at: dt.datetime | None = None,
) -> ReportSnapshot:
    """Stores the figures of a report just generated; the day's earlier snapshot of the same kind is
    replaced (a report produced again, or in the other language, the same day is the same report)."""
    org_service.get_establishment(session, establishment_id)
    day = day or today()
    row = session.scalar(
        select(ReportSnapshot).where(
            ReportSnapshot.establishment_id == establishment_id,
            ReportSnapshot.kind == kind,
            ReportSnapshot.day == day,
        )
    )
    if row is None:
        row = ReportSnapshot(establishment_id=establishment_id, kind=kind, day=day)
        session.add(row)
    row.figures = dict(figures)
    row.generated_at = generated_at or utcnow()
    session.flush()
    return row


def previous_snapshot(
    session: Session, establishment_id: int, kind: str, before: dt.date
) -> ReportSnapshot | None:
    """The latest snapshot of ``kind`` of a day before ``before``: what the last report said."""
    return session.scalar(
        select(ReportSnapshot)
        .where(
            ReportSnapshot.establishment_id == establishment_id,
            ReportSnapshot.kind == kind,
            ReportSnapshot.day < before,
        )
        .order_by(ReportSnapshot.day.desc())
        .limit(1)
    )


def list_snapshots(session: Session, establishment_id: int, kind: str) -> list[ReportSnapshot]:
    """Every snapshot of ``kind``, oldest first."""
    return list(
        session.scalars(
            select(ReportSnapshot)
            .where(ReportSnapshot.establishment_id == establishment_id, ReportSnapshot.kind == kind)
            .order_by(ReportSnapshot.day)
        )
    )
