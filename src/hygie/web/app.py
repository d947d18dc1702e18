"""The FastAPI application: middlewares, error handlers, static files, and every domain's routers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from hygie import __version__
from hygie.core.db import get_engine
from hygie.core.db import session_factory as make_session_factory
from hygie.core.settings import Settings, get_settings
from hygie.org.oidc import OidcSettings
from hygie.web import auth, sso
from hygie.web.errors import install_error_handlers
from hygie.web.registry import DomainWeb, registered_domains
from hygie.web.security import SecurityMiddleware, csrf_protect
from hygie.web.templating import STATIC_DIR, TEMPLATES_DIR, Templates

API_PREFIX = "/api/v1"
# `make` installs the browser libraries from the npm registry here (never committed).
VENDOR_DIR = Path(sys.prefix) / "web" / "node_modules"
HTMX_FILE = Path("htmx.org") / "dist" / "htmx.min.js"
SWAGGER_DIR = Path("swagger-ui-dist")


def _vendor(relative: Path, vendor_dir: Path) -> Path | None:
    path = vendor_dir / relative
    return path if path.exists() else None


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: Callable[[], Session] | None = None,
    domains: list[DomainWeb] | None = None,
    vendor_dir: Path = VENDOR_DIR,
    oidc: OidcSettings | None = None,
    oidc_http: httpx.Client | None = None,
) -> FastAPI:
    """The application. Tests pass a ``session_factory`` on their rolled-back connection, and for
    single sign-on ``oidc`` settings and an ``oidc_http`` client on a fake provider."""
    settings = settings or get_settings()
    if session_factory is None:
        session_factory = make_session_factory(get_engine(settings.resolved_database_url))
    domains = registered_domains() if domains is None else domains

    app = FastAPI(
        title="Hygie",
        version=__version__,
        description="Cyber-resilience of hospitals. Authenticate with `Authorization: Bearer hyg_...`.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the default page loads scripts from a CDN, refused by the CSP: see api_docs
        redoc_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.htmx_path = _vendor(HTMX_FILE, vendor_dir)
    app.state.swagger_dir = _vendor(SWAGGER_DIR, vendor_dir)
    app.state.templates = Templates([TEMPLATES_DIR, *(d.templates for d in domains if d.templates)])
    app.state.nav = sorted((item for d in domains for item in d.nav), key=lambda i: (i.order, i.label))
    app.state.domains = domains
    app.state.oidc_settings = oidc if oidc is not None else OidcSettings()
    app.state.oidc_http = oidc_http  # None: a client per call to the provider
    app.state.oidc_provider = None  # the provider's metadata, discovered on first use (web.sso)

    app.add_middleware(SecurityMiddleware, secure=settings.cookie_secure)
    install_error_handlers(app)

    _vendor_routes(app)
    app.include_router(auth.router)
    app.include_router(sso.router)
    for entry in domains:
        if entry.api is not None:
            app.include_router(entry.api)
        if entry.pages is not None:
            app.include_router(entry.pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _vendor_routes(app: FastAPI) -> None:
    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        # Asked by browsers and tools whatever the page says; the icon itself is an SVG.
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/static/vendor/htmx.min.js", include_in_schema=False)
    def htmx() -> Response:
        path: Path | None = app.state.htmx_path
        if path is None:
            return Response(status_code=404)
        return FileResponse(path, media_type="text/javascript")

    @app.get("/static/vendor/swagger/{name}", include_in_schema=False)
    def swagger_asset(name: str) -> Response:
        folder: Path | None = app.state.swagger_dir
        if folder is None or name not in {"swagger-ui.css", "swagger-ui-bundle.js"}:
            return Response(status_code=404)
        return FileResponse(folder / name)

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Same page without the inline script: the init script is a static file (CSP script-src 'self').
        openapi = f"{API_PREFIX}/openapi.json"
        if app.state.swagger_dir is None:
            body = f'<p>Hygie API — OpenAPI: <a href="{openapi}">{openapi}</a></p>'
        else:
            body = (
                f'<div id="swagger-ui" data-openapi="{openapi}"></div>'
                '<script src="/static/vendor/swagger/swagger-ui-bundle.js"></script>'
                '<script src="/static/swagger-init.js"></script>'
            )
        return HTMLResponse(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Hygie API</title>'
            '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
            '<link rel="stylesheet" href="/static/vendor/swagger/swagger-ui.css"></head>'
            f"<body>{body}</body></html>"
        )
