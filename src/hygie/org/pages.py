"""Web pages of the org domain: the establishment chooser and overview, and the account page
(second factor, recovery codes, API tokens, "log out everywhere")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.core.errors import ValidationError
from hygie.core.i18n import N_
from hygie.org import accounts, audit, tokens
from hygie.org.api import TokenIn, create_token, revoke_token
from hygie.org.service import nis2_status
from hygie.org.sessions import active_sessions
from hygie.org.totp import confirm_totp, enrol_totp, generate_recovery_codes, remaining_recovery_codes
from hygie.web.deps import ReadScope
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem
from hygie.web.security import rotate_csrf, session_cookie_name

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Establishment"), "", order=95),)  # its profile: FINESS, size, budgets, NIS2


@router.get("/establishments")
def chooser(layout: PageLayout) -> HTMLResponse:
    return layout.render("org/establishments.html", {"title": layout._("Establishments")})


@router.get("/e/{establishment_id}")
def overview(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    establishment = scope.establishment
    return layout.render(
        "org/establishment.html",
        {"title": establishment.name, "nis2": nis2_status(establishment, layout.lang)},
    )


def _account(layout: Layout, status_code: int = 200, **extra: Any) -> HTMLResponse:
    user = layout.user
    context: dict[str, Any] = {
        "title": layout._("My account"),
        "tokens": tokens.list_api_tokens(layout.db, user),
        "sessions": len(active_sessions(layout.db, user)),
        "recovery_left": remaining_recovery_codes(layout.db, user) if user.totp_enabled else 0,
        "recovery_used": layout.request.query_params.get("recovery_used") == "1",
        "enrolment": None,
        "recovery_codes": None,
        "new_token": None,
        "error": None,
        "notice": None,
    }
    context.update(extra)
    return layout.render("org/account.html", context, status_code=status_code)


@router.get("/account")
def account(layout: PageLayout) -> HTMLResponse:
    return _account(layout)


@router.post("/account/totp/enrol")
def totp_enrol(layout: PageLayout) -> HTMLResponse:
    if layout.user.totp_enabled:
        return _account(layout, 422, error=layout._("A second factor is already enabled."))
    return _account(layout, enrolment=enrol_totp(layout.user))


@router.post("/account/totp/confirm")
def totp_confirm(layout: PageLayout, code: Annotated[str, Form(max_length=16)] = "") -> HTMLResponse:
    try:
        confirm_totp(layout.user, code)
    except ValidationError:
        message = layout._("Wrong code: check the time of the phone, then start the enrolment again.")
        return _account(layout, 422, error=message)
    codes = generate_recovery_codes(layout.db, layout.user)
    audit.record_for(
        layout.db, layout.principal, action="user.totp_enable", object_type="user", object_id=layout.user.id
    )
    return _account(layout, recovery_codes=codes, notice=layout._("Second factor enabled."))


@router.post("/account/recovery-codes")
def new_recovery_codes(layout: PageLayout) -> HTMLResponse:
    if not layout.user.totp_enabled:
        return _account(layout, 422, error=layout._("Enable the second factor first."))
    codes = generate_recovery_codes(layout.db, layout.user)
    audit.record_for(
        layout.db,
        layout.principal,
        action="user.recovery_codes",
        object_type="user",
        object_id=layout.user.id,
    )
    return _account(layout, recovery_codes=codes)


@router.post("/account/tokens")
def token_create(layout: PageLayout, name: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse:
    if not name.strip():
        return _account(layout, 422, error=layout._("A token needs a name."))
    secret, _row = create_token(layout.db, layout.user, layout.principal, TokenIn(name=name))
    return _account(layout, new_token=secret)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(token_id: int, layout: PageLayout) -> Response:
    revoke_token(layout.db, layout.user, layout.principal, token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/logout-everywhere")
def logout_everywhere(layout: PageLayout) -> Response:
    accounts.logout_everywhere(layout.db, layout.user)
    audit.record_for(
        layout.db,
        layout.principal,
        action="user.logout_everywhere",
        object_type="user",
        object_id=layout.user.id,
    )
    secure = layout.request.app.state.settings.cookie_secure
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        session_cookie_name(secure), path="/", secure=secure, httponly=True, samesite="lax"
    )
    rotate_csrf(layout.request, response)
    return response


__all__ = ["NAV", "router"]
