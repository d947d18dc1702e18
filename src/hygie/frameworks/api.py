"""REST routes of the referential library: the referentials, one with its requirements and their
mappings, and the common controls. The library is the same for every establishment: any signed-in
caller may read it."""

from __future__ import annotations

from fastapi import APIRouter

from hygie.frameworks import service
from hygie.frameworks.schema import Dimension
from hygie.frameworks.schemas import ControlSummary, ReferentialDetail, ReferentialSummary
from hygie.web.deps import CurrentPrincipal
from hygie.web.errors import API_ERRORS
from hygie.web.pagination import Page, Pagination

router = APIRouter(prefix="/api/v1", tags=["frameworks"], responses=API_ERRORS)


@router.get("/frameworks", response_model=Page[ReferentialSummary])
def list_frameworks(principal: CurrentPrincipal, pages: Pagination) -> Page[ReferentialSummary]:
    """Every referential, shipped ones first."""
    rows = service.list_referentials()
    return Page[ReferentialSummary](
        items=rows[pages.offset : pages.offset + pages.limit],
        total=len(rows),
        limit=pages.limit,
        offset=pages.offset,
    )


@router.get("/frameworks/{referential_id}", response_model=ReferentialDetail)
def get_framework(referential_id: str, principal: CurrentPrincipal) -> ReferentialDetail:
    """A referential with its requirements and the controls each one maps onto."""
    return service.get_referential(referential_id)


@router.get("/controls", response_model=Page[ControlSummary])
def list_controls(
    principal: CurrentPrincipal, pages: Pagination, dimension: Dimension | None = None
) -> Page[ControlSummary]:
    """The common controls in questionnaire order (essential first), optionally of one dimension."""
    rows = service.list_controls(dimension)
    return Page[ControlSummary](
        items=rows[pages.offset : pages.offset + pages.limit],
        total=len(rows),
        limit=pages.limit,
        offset=pages.offset,
    )
