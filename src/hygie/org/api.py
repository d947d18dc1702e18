"""REST routes of the org domain: establishments the caller may see, the caller, its API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from hygie.org import audit, tokens
from hygie.org.access import Principal, select_visible
from hygie.org.models import ApiToken, Establishment, Role, User
from hygie.org.schemas import EstablishmentOut
from hygie.web.deps import CurrentPrincipal, CurrentUser, Db, ReadScope
from hygie.web.errors import API_ERRORS
from hygie.web.pagination import Page, Pagination, paginate

router = APIRouter(prefix="/api/v1", tags=["org"], responses=API_ERRORS)


class RolesOut(BaseModel):
    establishment_id: int
    roles: list[Role]


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    totp_enabled: bool
    roles: list[RolesOut]


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="First characters, to recognise the token")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself, shown this once only")


@router.get("/establishments", response_model=Page[EstablishmentOut])
def list_establishments(db: Db, principal: CurrentPrincipal, pages: Pagination) -> Page[EstablishmentOut]:
    """The establishments the caller may see, by name."""
    statement = select_visible(db, principal, Establishment).order_by(Establishment.name, Establishment.id)
    rows, total = paginate(db, statement, pages)
    return Page[EstablishmentOut](
        items=[EstablishmentOut.model_validate(r) for r in rows],
        total=total,
        limit=pages.limit,
        offset=pages.offset,
    )


@router.get("/establishments/{establishment_id}", response_model=EstablishmentOut)
def get_establishment(scope: ReadScope) -> EstablishmentOut:
    return EstablishmentOut.model_validate(scope.establishment)


@router.get("/me", response_model=MeOut)
def me(user: CurrentUser, principal: CurrentPrincipal) -> MeOut:
    roles = [RolesOut(establishment_id=e, roles=sorted(r)) for e, r in sorted(principal.roles.items()) if r]
    return MeOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        totp_enabled=user.totp_enabled,
        roles=roles,
    )


@router.get("/me/tokens", response_model=list[TokenOut])
def my_tokens(db: Db, user: CurrentUser) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in tokens.list_api_tokens(db, user)]


def create_token(db: Session, user: User, principal: Principal, data: TokenIn) -> tuple[str, ApiToken]:
    """Shared with the account page: creates and audits."""
    secret, row = tokens.create_api_token(db, user, data.name, expires_at=data.expires_at)
    audit.record_for(
        db,
        principal,
        action="token.create",
        object_type="api_token",
        object_id=row.id,
        details={"name": row.name, "prefix": row.prefix},
    )
    return secret, row


def revoke_token(db: Session, user: User, principal: Principal, token_id: int) -> None:
    row = tokens.revoke_api_token(db, token_id, owner=user)
    audit.record_for(
        db,
        principal,
        action="token.revoke",
        object_type="api_token",
        object_id=row.id,
        details={"name": row.name, "prefix": row.prefix},
    )


@router.post("/me/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def new_token(data: TokenIn, db: Db, user: CurrentUser, principal: CurrentPrincipal) -> TokenCreated:
    secret, row = create_token(db, user, principal, data)
    return TokenCreated(token=secret, **TokenOut.model_validate(row).model_dump())


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_token(token_id: int, db: Db, user: CurrentUser, principal: CurrentPrincipal) -> Response:
    revoke_token(db, user, principal, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
