"""Domain errors and validation errors to HTTP, in one place. No traceback ever reaches a user."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from safepassage.shared.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
)

log = logging.getLogger("safepassage.api")

STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Invalid: 422,
    Conflict: 409,
    Forbidden: 403,
    Unauthenticated: 401,
}


def status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def problem_body(code: str, message: str, problems: list[FieldProblem] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "problems": [{"field": p.field, "reason": p.reason} for p in problems or []],
        }
    }


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def validation_problems(errors: list[Any]) -> list[FieldProblem]:
    problems = []
    for err in errors:
        message = str(err.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(_loc(tuple(err.get("loc", ()))), message))
    return problems


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return JSONResponse(
            problem_body(exc.code, exc.message, exc.problems), status_code=status_of(exc), headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(list(exc.errors()))
        summary = "; ".join(f"{p.field}: {p.reason}" for p in problems[:5])
        return JSONResponse(
            problem_body("invalid", f"The request has errors: {summary}", problems), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            problem_body("http_error", str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", reference, request.method, request.url.path)
        return JSONResponse(
            problem_body("internal", f"Something went wrong on our side. Reference {reference}."),
            status_code=500,
        )
