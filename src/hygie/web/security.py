"""Cookies, CSRF and the security headers of every response.

CSRF: a random seed lives in an HttpOnly cookie; the token put in forms (and in the ``X-CSRF-Token``
header of HTMX requests) is HMAC-SHA256(seed, purpose). A forged request from another site carries
the cookie but cannot read the page to learn the token, and the token does not expose the cookie.
The seed is renewed at login and logout. ``/api/`` is exempt: it authenticates only with
``Authorization: Bearer`` tokens, which a browser never sends on its own. The same seed keys
``sign_for_browser``, for a cookie that must come back unchanged from the browser it was given to
(the pending single sign-on request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hygie.org.sessions import COOKIE_NAME as SECURE_SESSION_COOKIE
from hygie.web.errors import CsrfRejected

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LANG_COOKIE = "hygie_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_BODY_BYTES = 20 * 1024 * 1024  # larger requests get 413 before anything reads them
_CSRF_PURPOSE = b"hygie-csrf-v1"


def session_cookie_name(secure: bool) -> str:
    # The __Host- prefix needs Secure: browsers drop such a cookie sent over plain HTTP.
    return SECURE_SESSION_COOKIE if secure else "hygie_session"


def csrf_cookie_name(secure: bool) -> str:
    return "__Host-hygie_csrf" if secure else "hygie_csrf"


def security_headers(secure: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None = None
) -> None:
    """HttpOnly, SameSite=Lax, Path=/, no Domain; Secure unless turned off for local HTTP."""
    response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax")


def csrf_token_for(seed: str) -> str:
    return hmac.new(seed.encode("utf-8"), _CSRF_PURPOSE, hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token for forms of this page (put it in ``csrf_token`` fields and the meta tag)."""
    return csrf_token_for(str(request.state.csrf_seed))


def browser_mac(seed: str, purpose: bytes, value: str) -> str:
    """HMAC-SHA256 keyed by this browser's CSRF seed, the same construction as the CSRF token."""
    return hmac.new(seed.encode("utf-8"), purpose + b"\0" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_for_browser(request: Request, purpose: bytes, value: str) -> str:
    """``value.mac`` for a cookie that only this browser may hand back unchanged.

    Keyed by the CSRF seed, so a value planted by another site or copied from another browser
    does not verify. Signed, not encrypted: the browser that holds it can read it.
    """
    return f"{value}.{browser_mac(str(request.state.csrf_seed), purpose, value)}"


def verify_for_browser(request: Request, purpose: bytes, signed: str | None) -> str | None:
    """The value of ``sign_for_browser`` if its MAC holds for this browser, else None."""
    if not signed:
        return None
    value, _, mac = signed.rpartition(".")
    expected = browser_mac(str(request.state.csrf_seed), purpose, value)
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a forged cookie may have some).
    return value if value and hmac.compare_digest(mac.encode("utf-8"), expected.encode("utf-8")) else None


def rotate_csrf(request: Request, response: Response) -> None:
    """A new seed (after login or logout): tokens of the previous pages stop working."""
    seed = secrets.token_urlsafe(32)
    request.state.csrf_seed = seed
    set_cookie(
        response,
        csrf_cookie_name(request.app.state.settings.cookie_secure),
        seed,
        secure=request.app.state.settings.cookie_secure,
    )


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuses an unsafe page request without the right token (403)."""
    if request.method in SAFE_METHODS or request.url.path.startswith("/api/"):
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(csrf_cookie_name(request.app.state.settings.cookie_secure))
    # Bytes: compare_digest raises on str with non-ASCII characters, which anyone can send.
    expected = csrf_token_for(cookie).encode("utf-8") if cookie else b""
    if not sent or not expected or not hmac.compare_digest(sent.encode("utf-8"), expected):
        raise CsrfRejected


def _cookies(headers: Mapping[str, str]) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:  # a malformed Cookie header counts as no cookie
        return SimpleCookie()
    return jar


class SecurityMiddleware:
    """Pure ASGI: gives every request a CSRF seed (setting the cookie when new), refuses oversized
    bodies, and adds the security headers (plus ``Cache-Control: no-store`` outside /static)."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers(secure).items()]
        self.csrf_cookie = csrf_cookie_name(secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = raw.get("content-length", "0")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            await self._too_large(send)
            return
        morsel = _cookies(raw).get(self.csrf_cookie)
        seed = morsel.value if morsel is not None and morsel.value else None
        new_seed = seed is None
        scope.setdefault("state", {})["csrf_seed"] = seed or secrets.token_urlsafe(32)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                sets_csrf = any(
                    k.lower() == b"set-cookie" and v.startswith(self.csrf_cookie.encode() + b"=")
                    for k, v in headers
                )
                if new_seed and not static and not sets_csrf:
                    cookie = Response()
                    set_cookie(cookie, self.csrf_cookie, scope["state"]["csrf_seed"], secure=self.secure)
                    headers += [(k, v) for k, v in cookie.raw_headers if k == b"set-cookie"]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _too_large(self, send: Send) -> None:
        body = b'{"error":{"code":"too_large","message":"the request is too large","details":[]}}'
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers + self.headers})
        await send({"type": "http.response.body", "body": body})
