"""Tokens for scripts and partner systems: trade a username and password for a bearer token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from safepassage.api.deps import Public, UowDep
from safepassage.security import services as security
from safepassage.shared.errors import Unauthenticated

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(default="api", max_length=120)
    valid_days: int = Field(default=30, ge=1, le=365)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


@router.post("/tokens", status_code=201)
def create_token(cmd: TokenRequest, uow: UowDep, _: Annotated[None, Depends(Public())]) -> TokenResponse:
    actor = security.authenticate(uow, cmd.username, cmd.password)
    if actor is None:
        raise Unauthenticated("unknown user or wrong password")
    valid_for = dt.timedelta(days=cmd.valid_days)
    token = security.issue_token(
        uow, username=actor.username, name=cmd.name, valid_for=valid_for, actor=actor
    )
    return TokenResponse(access_token=token, expires_in=int(valid_for.total_seconds()))
