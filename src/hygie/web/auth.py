"""Signing in and out, the home redirect and the language switch: the web package's own pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hygie.core.i18n import LANGUAGES
from hygie.org import audit
from hygie.org.access import principal_for
from hygie.org.auth import AuthStatus, authenticate
from hygie.org.models import User
from hygie.org.oidc import OidcSettings
from hygie.org.sessions import create_session, revoke_session
from hygie.web.deps import Db, OptionalUser, client_ip, visible
from hygie.web.security import LANG_COOKIE, rotate_csrf, session_cookie_name, set_cookie
from hygie.web.templating import render, request_language

router = APIRouter(include_in_schema=False)
_YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """A local path to go back to after login; anything else (another site) becomes the home page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.get("/")
def home(request: Request, db: Db, user: OptionalUser) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    establishments = visible(db, principal_for(db, user))
    if len(establishments) == 1:
        return RedirectResponse(f"/e/{establishments[0].id}/dashboard", status_code=303)
    return RedirectResponse("/establishments", status_code=303)


def login_page(
    request: Request,
    *,
    next_path: str,
    error: str | None = None,
    step: str = "password",
    email: str = "",
    password: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The sign-in page; it offers single sign-on when HYGIE_OIDC_ISSUER is set."""
    oidc: OidcSettings = request.app.state.oidc_settings
    context = {
        "error": error,
        "step": step,
        "email": email,
        "password": password,
        "next": next_path,
        "sso": bool(oidc.issuer),
        "sso_label": oidc.label,
    }
    return render(request, "login.html", context, status_code=status_code)


def open_session(
    request: Request, db: Session, user: User, *, ip: str, target: str, details: dict[str, Any]
) -> Response:
    """After any successful sign-in: ends this browser's previous session, opens a new one (cookie
    and table), audits ``session.login`` with ``details``, renews the CSRF seed, goes to ``target``."""
    secure = request.app.state.settings.cookie_secure
    cookie_name = session_cookie_name(secure)
    previous = request.cookies.get(cookie_name)
    if previous:  # rotation: whatever session this browser held ends here
        revoke_session(db, previous)
    token = create_session(db, user, ip=ip, user_agent=request.headers.get("user-agent"))
    audit.record_for(
        db,
        principal_for(db, user, ip=ip),
        action="session.login",
        object_type="user",
        object_id=user.id,
        details=details,
    )
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, cookie_name, token, secure=secure)
    rotate_csrf(request, response)
    return response


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return login_page(request, next_path=safe_next(next))


@router.post("/login")
def login_submit(
    request: Request,
    db: Db,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    lang = request_language(request)
    ip = client_ip(request)
    next_path = safe_next(next)
    result = authenticate(db, email, password, code or None, ip=ip)
    if result.status is AuthStatus.SECOND_FACTOR_REQUIRED:
        # The three are submitted together (org.auth keeps no half-signed-in state).
        return login_page(request, next_path=next_path, step="code", email=email, password=password)
    if not result.ok or result.user is None:
        status = 429 if result.status is AuthStatus.RATE_LIMITED else 401
        return login_page(
            request, next_path=next_path, error=result.message(lang), email=email, status_code=status
        )
    target = "/account?recovery_used=1" if result.used_recovery_code else next_path
    details = {"method": "password", "recovery_code": result.used_recovery_code}
    return open_session(request, db, result.user, ip=ip, target=target, details=details)


@router.post("/logout")
def logout(request: Request, db: Db, user: OptionalUser) -> Response:
    secure = request.app.state.settings.cookie_secure
    cookie_name = session_cookie_name(secure)
    token = request.cookies.get(cookie_name)
    if token:
        revoke_session(db, token)
    if user is not None:
        audit.record_for(
            db,
            principal_for(db, user, ip=client_ip(request)),
            action="session.logout",
            object_type="user",
            object_id=user.id,
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(cookie_name, path="/", secure=secure, httponly=True, samesite="lax")
    rotate_csrf(request, response)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """The FR/EN links of the header: remembers the choice for a year, then goes back."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        set_cookie(
            response, LANG_COOKIE, code, secure=request.app.state.settings.cookie_secure, max_age=_YEAR
        )
    return response
