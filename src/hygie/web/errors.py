"""One JSON shape for every API error, an HTML page for every page error.

``{"error": {"code": "not_found", "message": "...", "details": [...]}}``: the code is stable (scripts
test it), the message is for people, ``details`` lists every problem with where it lies. A 500 says
nothing of the code behind it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hygie.core.errors import (
    ContentError,
    HygieError,
    ImportRejectedError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)

log = logging.getLogger("hygie.web")


class ErrorDetail(BaseModel):
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable identifier: not_found, forbidden, validation_error ...")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    error: ErrorInfo


# For ``APIRouter(responses=API_ERRORS)``: documents the error shape in the OpenAPI.
API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid API token"},
    403: {"model": ErrorBody, "description": "The role does not allow this action"},
    404: {"model": ErrorBody, "description": "Not found, or not visible to the caller"},
    400: {"model": ErrorBody, "description": "The body is not valid JSON"},
    422: {"model": ErrorBody, "description": "Invalid input"},
}


class NotAuthenticated(Exception):  # noqa: N818 -- reads as a state, like PermissionDenied
    """No valid session or token: 401 on the API, a redirect to the login page for pages."""


class CsrfRejected(Exception):  # noqa: N818
    """A form or HTMX request without the right CSRF token."""


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _content_detail(problem: ContentError) -> ErrorDetail:
    location = problem.location
    if location is None:
        return ErrorDetail(message=problem.message)
    return ErrorDetail(
        message=problem.message,
        file=None if location.file is None else str(location.file),
        line=location.line,
        field=location.field,
    )


def describe(exc: HygieError) -> tuple[int, ErrorInfo]:
    """The status and error body of a domain error."""
    if isinstance(exc, NotFoundError):
        return 404, ErrorInfo(code="not_found", message=str(exc))
    if isinstance(exc, PermissionDenied):
        return 403, ErrorInfo(code="forbidden", message=str(exc))
    if isinstance(exc, ImportRejectedError):
        details = [_content_detail(p) for p in exc.problems]
        message = f"{exc.source}: {len(exc.problems)} problem(s), nothing imported"
        return 422, ErrorInfo(code="import_rejected", message=message, details=details)
    if isinstance(exc, ContentError):
        return 422, ErrorInfo(code="content_error", message=exc.message, details=[_content_detail(exc)])
    if isinstance(exc, ValidationError):
        return 422, ErrorInfo(code="validation_error", message=str(exc))
    return 400, ErrorInfo(code="error", message=str(exc))


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_json(status: int, info: ErrorInfo, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(error=info).model_dump(mode="json"), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    # Imported here: pages need the templates, which need the app's registry.
    from hygie.web.templating import render_error

    def respond(request: Request, status: int, info: ErrorInfo) -> Response:
        if is_api(request):
            return error_json(status, info)
        return render_error(request, status)

    async def on_hygie_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HygieError)
        status, info = describe(exc)
        return respond(request, status, info)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            ErrorDetail(message=str(e.get("msg", "")), field=".".join(str(p) for p in e.get("loc", ())))
            for e in exc.errors()
        ]
        info = ErrorInfo(code="validation_error", message="the request is invalid", details=details)
        return error_json(422, info) if is_api(request) else render_error(request, 422)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else code
        return respond(request, exc.status_code, ErrorInfo(code=code, message=message))

    async def on_not_authenticated(request: Request, exc: Exception) -> Response:
        if is_api(request):
            info = ErrorInfo(code="unauthenticated", message="a valid API token is required")
            return error_json(401, info, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import urlencode

        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    async def on_csrf(request: Request, exc: Exception) -> Response:
        info = ErrorInfo(code="csrf_failed", message="the form expired or did not come from Hygie")
        return respond(request, 403, info)

    async def on_unstorable(request: Request, exc: Exception) -> Response:
        # An id beyond the database's integers, a NUL character in a text: the input is wrong,
        # the database said so before anything was written (the request's transaction is rolled back).
        info = ErrorInfo(
            code="invalid_value",
            message="a value is out of range or holds characters that cannot be stored",
        )
        return respond(request, 422, info)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        info = ErrorInfo(code="internal_error", message="an unexpected error occurred; it was logged")
        from hygie.web.security import security_headers

        response = respond(request, 500, info)
        # The crash handler runs outside the middlewares: its response gets the headers here.
        for name, value in security_headers(request.app.state.settings.cookie_secure).items():
            response.headers[name] = value
        return response

    app.add_exception_handler(HygieError, on_hygie_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(NotAuthenticated, on_not_authenticated)
    app.add_exception_handler(CsrfRejected, on_csrf)
    app.add_exception_handler(DataError, on_unstorable)
    app.add_exception_handler(OverflowError, on_unstorable)
    app.add_exception_handler(Exception, on_crash)
