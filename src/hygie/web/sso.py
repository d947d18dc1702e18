"""Single sign-on pages (OpenID Connect, ``hygie.org.oidc``): 404 unless HYGIE_OIDC_ISSUER is set.

- ``GET /login/oidc?next=`` sends the browser to the provider. The state, nonce, PKCE verifier and
  the page to come back to wait in a cookie that only this browser can hand back unchanged
  (``security.sign_for_browser``), HttpOnly, SameSite=Lax, for 10 minutes;
- ``GET /login/oidc/callback?code=&state=`` checks that cookie and the state, exchanges the code,
  validates the ID token, finds the account and opens the session exactly as the password does
  (``auth.open_session``).

Every refusal shows the sign-in page with a generic message; what went wrong goes to the log and
to the audit trail (``session.login_failed``), and counts towards the address's rate limit like a
wrong password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from hygie.core.errors import HygieError, NotFoundError
from hygie.core.i18n import N_, gettext
from hygie.core.time import utcnow
from hygie.org import audit
from hygie.org.access import principal_for
from hygie.org.auth import (
    DEFAULT_AUTH_POLICY,
    AuthResult,
    AuthStatus,
    recent_failures,
    record_failed_attempt,
)
from hygie.org.models import User
from hygie.org.oidc import (
    AuthorizationRequest,
    OidcError,
    OidcSettings,
    ProviderMetadata,
    begin_login,
    discover,
    finish_login,
    user_from_claims,
)
from hygie.web.auth import login_page, open_session, safe_next
from hygie.web.deps import Db, OptionalUser, client_ip
from hygie.web.security import set_cookie, sign_for_browser, verify_for_browser
from hygie.web.templating import request_language

router = APIRouter(include_in_schema=False)
log = logging.getLogger("hygie.web")

CALLBACK_PATH = "/login/oidc/callback"
PENDING_SECONDS = 10 * 60  # time to sign in at the provider
PROVIDER_CACHE_SECONDS = 3600.0  # then the metadata and keys are read again (providers rotate keys)
_PURPOSE = b"hygie-oidc-pending-v1"

FAILED = N_("Single sign-on failed. Try again; if it fails again, contact your administrator.")
NOT_ALLOWED = N_("This account may not use Hygie. Ask your administrator for access.")
UNAVAILABLE = N_(
    "Single sign-on is unavailable for the moment. Try again later, or sign in with your password."
)


def pending_cookie_name(secure: bool) -> str:
    return "__Host-hygie_oidc" if secure else "hygie_oidc"


@dataclass(frozen=True)
class Pending:
    """A sign-in begun in this browser, waiting for the provider's answer."""

    request: AuthorizationRequest
    next_path: str
    expires: int  # Unix time


def encode_pending(pending: Pending) -> str:
    data = {
        "state": pending.request.state,
        "nonce": pending.request.nonce,
        "verifier": pending.request.code_verifier,
        "next": pending.next_path,
        "exp": pending.expires,
    }
    raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_pending(value: str, now: float | None = None) -> Pending | None:
    """The pending sign-in of a verified cookie value; None if unreadable or past its 10 minutes."""
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        pending = Pending(
            request=AuthorizationRequest(
                url="",  # not kept: the browser has already been there
                state=str(data["state"]),
                nonce=str(data["nonce"]),
                code_verifier=str(data["verifier"]),
            ),
            next_path=safe_next(str(data["next"])),
            expires=int(data["exp"]),
        )
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError):
        return None
    return pending if pending.expires > (time.time() if now is None else now) else None


def _configured(request: Request) -> OidcSettings:
    """The settings, with the redirect URI derived from this request when not set."""
    settings: OidcSettings = request.app.state.oidc_settings
    if not settings.issuer:
        raise NotFoundError("single sign-on is not configured")
    if settings.redirect_uri:
        return settings
    # Behind a proxy that ends TLS the request looks like http: Secure cookies mean https.
    scheme = "https" if request.app.state.settings.cookie_secure else request.url.scheme
    return settings.model_copy(update={"redirect_uri": f"{scheme}://{request.url.netloc}{CALLBACK_PATH}"})


def _provider(request: Request, settings: OidcSettings) -> ProviderMetadata:
    """The provider's metadata and keys, read once an hour at most (OidcError if it cannot be read)."""
    cached: tuple[ProviderMetadata, float] | None = request.app.state.oidc_provider
    if cached is not None and time.monotonic() - cached[1] < PROVIDER_CACHE_SECONDS:
        return cached[0]
    metadata = discover(settings, request.app.state.oidc_http)
    request.app.state.oidc_provider = (metadata, time.monotonic())
    return metadata


def _rate_limited(db: Session, ip: str) -> bool:
    return recent_failures(db, ip, utcnow()) >= DEFAULT_AUTH_POLICY.ip_limit


def _forget_pending(request: Request, response: Response) -> None:
    secure = request.app.state.settings.cookie_secure
    response.delete_cookie(
        pending_cookie_name(secure), path="/", secure=secure, httponly=True, samesite="lax"
    )


def _page(request: Request, next_path: str, message: str, status: int) -> Response:
    """The sign-in page showing ``message`` (an msgid), the pending sign-in forgotten."""
    return _page_text(request, next_path, gettext(message, request_language(request)), status)


def _page_text(request: Request, next_path: str, error: str, status: int) -> Response:
    response = login_page(request, next_path=next_path, error=error, status_code=status)
    _forget_pending(request, response)
    return response


def _too_many(request: Request, next_path: str) -> Response:
    # The password form's own message and status.
    message = AuthResult(AuthStatus.RATE_LIMITED).message(request_language(request))
    return _page_text(request, next_path, message, 429)


def _refuse(
    request: Request,
    db: Session,
    *,
    next_path: str,
    reason: str,
    message: str = FAILED,
    status: int = 401,
    user: User | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    """The sign-in page with a generic message; the reason in the audit trail, never on the page.

    Every refusal counts against the address, even the provider's own (a user who cancelled): else
    the audit trail could be filled from one address without ever meeting the rate limit."""
    ip = client_ip(request)
    record_failed_attempt(db, ip)
    audit.record(
        db,
        actor=principal_for(db, user).actor if user is not None else "anonymous",
        ip=ip,
        action="session.login_failed",
        object_type="user",
        object_id=None if user is None else user.id,
        details={"method": "oidc", "reason": reason, **(details or {})},
    )
    return _page(request, next_path, message, status)


@router.get("/login/oidc")
def oidc_login(
    request: Request, db: Db, user: OptionalUser, next: Annotated[str, Query(max_length=2000)] = "/"
) -> Response:
    settings = _configured(request)
    next_path = safe_next(next)
    if user is not None:
        return RedirectResponse(next_path, status_code=303)
    if _rate_limited(db, client_ip(request)):
        return _too_many(request, next_path)
    try:
        provider = _provider(request, settings)
    except OidcError as exc:
        log.warning("single sign-on unavailable: discovery of %s failed: %s", settings.issuer, exc)
        return _page(request, next_path, UNAVAILABLE, 503)
    authorization = begin_login(settings, provider)
    pending = Pending(authorization, next_path, int(time.time()) + PENDING_SECONDS)
    response = RedirectResponse(authorization.url, status_code=303)
    secure = request.app.state.settings.cookie_secure
    value = sign_for_browser(request, _PURPOSE, encode_pending(pending))
    set_cookie(response, pending_cookie_name(secure), value, secure=secure, max_age=PENDING_SECONDS)
    return response


@router.get(CALLBACK_PATH)
def oidc_callback(
    request: Request,
    db: Db,
    code: Annotated[str, Query(max_length=4096)] = "",
    state: Annotated[str, Query(max_length=512)] = "",
    error: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    settings = _configured(request)
    ip = client_ip(request)
    secure = request.app.state.settings.cookie_secure
    signed = request.cookies.get(pending_cookie_name(secure))
    value = verify_for_browser(request, _PURPOSE, signed)
    pending = decode_pending(value) if value is not None else None
    next_path = pending.next_path if pending is not None else "/"

    if _rate_limited(db, ip):
        return _too_many(request, next_path)
    if pending is None:
        reason = "no_pending_sign_in" if signed is None else "bad_cookie"
        return _refuse(request, db, next_path=next_path, reason=reason)
    if error:  # the provider refused, or the user cancelled there
        details = {"error": error[:64]}
        return _refuse(request, db, next_path=next_path, reason="provider_error", details=details)
    if not code or not hmac.compare_digest(state.encode("utf-8"), pending.request.state.encode("utf-8")):
        return _refuse(request, db, next_path=next_path, reason="state")

    try:
        provider = _provider(request, settings)
    except OidcError as exc:
        log.warning("single sign-on unavailable: discovery of %s failed: %s", settings.issuer, exc)
        return _page(request, next_path, UNAVAILABLE, 503)
    try:
        claims = finish_login(
            settings, provider, pending.request, code=code, state=state, client=request.app.state.oidc_http
        )
    except OidcError as exc:
        log.warning("single sign-on refused: %s", exc)
        return _refuse(request, db, next_path=next_path, reason="token")
    try:
        with db.begin_nested():  # a refused identity leaves no half-created account behind
            user = user_from_claims(db, settings, claims)
    except HygieError as exc:
        log.warning("single sign-on refused for %s: %s", claims.get("sub"), exc)
        return _refuse(
            request, db, next_path=next_path, reason="not_allowed", message=NOT_ALLOWED, status=403
        )
    if not any(principal_for(db, user).roles.values()):
        # Kept: the roles the provider no longer gives are gone (user_from_claims replaced them).
        return _refuse(
            request, db, next_path=next_path, reason="no_role", message=NOT_ALLOWED, status=403, user=user
        )

    response = open_session(request, db, user, ip=ip, target=next_path, details={"method": "oidc"})
    _forget_pending(request, response)
    return response
