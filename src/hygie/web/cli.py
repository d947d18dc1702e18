"""``hygie serve``: the web application on the embedded default, brought up to date first."""

from __future__ import annotations

import typer

from hygie.core.db import get_engine
from hygie.core.migrate import upgrade
from hygie.core.settings import Settings, get_settings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def settings_for(host: str, settings: Settings) -> Settings:
    """On a loopback address only this machine connects, over plain http, where Secure cookies
    would never come back: unless HYGIE_COOKIE_SECURE says otherwise, they are not Secure there."""
    if host in LOOPBACK and "cookie_secure" not in settings.model_fields_set:
        return settings.model_copy(update={"cookie_secure": False})
    return settings


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."
    ),
    port: int = typer.Option(8000, "--port", help="TCP port."),
) -> None:
    """Start the web application (pages and REST API under /api/v1)."""
    import uvicorn

    from hygie.web.app import create_app

    settings = settings_for(host, get_settings())
    upgrade(get_engine(settings.resolved_database_url))
    scheme = "https" if settings.cookie_secure else "http"
    typer.echo(f"Hygie: {scheme}://{host}:{port}/  (API: {scheme}://{host}:{port}/api/v1/docs)")
    if settings.cookie_secure:
        typer.echo(
            "Cookies are Secure: serve behind HTTPS (a reverse proxy), or set HYGIE_COOKIE_SECURE=false "
            "to try it on http://127.0.0.1."
        )
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=False, server_header=False)
