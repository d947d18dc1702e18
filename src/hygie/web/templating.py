"""Templates of the pages: one Jinja2 environment per language, the reports' filters, the layout's context.

The loader searches ``web/templates`` (layout, login, errors) then each registered domain's
``templates`` folder, where a domain keeps its pages under its own name (``org/account.html``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2.filters
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hygie.core.i18n import LANGUAGES, N_, gettext, normalise_language, translations
from hygie.reports.environment import environment as report_environment
from hygie.web.security import LANG_COOKIE, csrf_token

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def request_language(request: Request) -> str:
    """``?lang=``, then the language switch's cookie, then HYGIE_LANG (French).

    The browser's Accept-Language is not followed: Hygie is French first, whatever language a
    workstation's browser happens to be set to; English is one click away on the switch.
    """
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked and normalise_language(asked) == asked.lower()[:2]:
        return normalise_language(asked)
    return normalise_language(request.app.state.settings.lang)


@dataclass
class Templates:
    """The environments of one application, built on first use per language."""

    dirs: list[Path]
    _envs: dict[str, Environment] = field(default_factory=dict)

    def environment(self, lang: str) -> Environment:
        lang = normalise_language(lang)
        if lang not in self._envs:
            env = Environment(
                loader=FileSystemLoader([str(d) for d in self.dirs]),
                autoescape=select_autoescape(("html", "svg", "xml"), default_for_string=True),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
            env.globals["lang"] = lang
            # The reports' number, euro, date and vocabulary filters, shared rather than rewritten.
            builtin = jinja2.filters.FILTERS
            shared = report_environment(lang).filters
            env.filters.update({k: v for k, v in shared.items() if k not in builtin})
            env.filters["svg_data_uri"] = svg_data_uri
            self._envs[lang] = env
        return self._envs[lang]


def svg_data_uri(svg: str) -> str:
    """An SVG as a ``data:`` URI for ``<img src>``: shown without inline markup (CSP allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def base_context(request: Request) -> dict[str, Any]:
    """What the layout needs whatever the page: language, CSRF token, htmx, current path."""
    lang = request_language(request)
    return {
        "request": request,
        "lang": lang,
        "other_languages": [code for code in LANGUAGES if code != lang],
        "csrf_token": csrf_token(request),
        "htmx": request.app.state.htmx_path is not None,
        "path": request.url.path,
        "current_user": getattr(request.state, "user", None),
        "establishments": [],
        "establishment": None,
        "group_views": [],
        "current_group": None,
        "nav": [],
        "nav_groups": [],
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    values = base_context(request)
    values.update(context or {})
    templates: Templates = request.app.state.templates
    html = templates.environment(values["lang"]).get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)


_ERROR_TITLES = {
    401: N_("Sign-in required"),
    403: N_("Access refused"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    413: N_("File too large"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    500: N_("Unexpected error"),
}


def render_error(request: Request, status: int) -> HTMLResponse:
    """The error page: a generic, translated message, never the internal detail."""
    lang = request_language(request)
    title = gettext(_ERROR_TITLES.get(status, "Error"), lang)
    # No account menu: the request's session is already rolled back, its objects unusable.
    context = {"status": status, "title": title, "current_user": None}
    return render(request, "error.html", context, status_code=status)
