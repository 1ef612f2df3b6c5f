"""Tokens for scripts and partner systems: trade a username and password (and, for supervisors and
administrators, a code from their authenticator) for a scoped, expiring bearer token; list and
revoke one's tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from safepassage import sessions
from safepassage.api.deps import Allowed, ContainerDep, Public, UowDep
from safepassage.security import services as security
from safepassage.security.accounts import SecondFactor
from safepassage.security.policy import Actor, Permission
from safepassage.security.tokens import scopes_for
from safepassage.security.totp import verify
from safepassage.shared.errors import Unauthenticated

router = APIRouter(prefix="/api/v1", tags=["auth"])

# One answer for every refusal: no hint whether the user exists, the password was right, the
# account is disabled or rate-limited, or only the code was wrong.
REFUSED = "unknown user, wrong password or code, or too many attempts"


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    totp: str | None = Field(
        default=None, max_length=10, description="The authenticator's code (supervisors, administrators)."
    )
    name: str = Field(default="api", max_length=120)
    valid_days: int = Field(default=30, ge=1, le=3650, description="At most the server's token_max_days.")
    scopes: list[Permission] | None = Field(
        default=None, description="Permissions the token carries (a subset of the role); none: the role's."
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    scopes: list[str]


class TokenRead(BaseModel):
    id: uuid.UUID
    name: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


def _address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


@router.post("/tokens", status_code=201)
def create_token(
    cmd: TokenRequest,
    request: Request,
    uow: UowDep,
    container: ContainerDep,
    _: Annotated[None, Depends(Public())],
) -> TokenResponse:
    address = _address(request)
    limits = sessions.login_limits(container)
    accepted = security.check_password(uow, cmd.username, cmd.password, address=address, limits=limits)
    if accepted is None:
        raise Unauthenticated(REFUSED)
    actor: Actor | None
    if accepted.second_factor is SecondFactor.NONE:
        actor = security.actor_for_user_id(uow, accepted.user_id, address=address)
    elif accepted.second_factor is SecondFactor.VERIFY:
        key = sessions.totp_key(container)
        code = cmd.totp or ""
        actor = verify(uow, accepted.user_id, code, key=key, address=address, limits=limits)
    else:
        actor = None  # a second factor is needed and none is enrolled: enrol on the web first
    if actor is None:
        raise Unauthenticated(REFUSED)
    valid_for = dt.timedelta(days=cmd.valid_days)
    scopes = frozenset(cmd.scopes) if cmd.scopes is not None else None
    token = security.issue_token(
        uow,
        username=actor.username,
        name=cmd.name,
        valid_for=valid_for,
        scopes=scopes,
        max_lifetime=dt.timedelta(days=container.settings.token_max_days),
        actor=actor,
    )
    return TokenResponse(
        access_token=token,
        expires_in=int(valid_for.total_seconds()),
        scopes=sorted(p.value for p in scopes_for(actor.role, scopes)),
    )


@router.get("/tokens")
def my_tokens(
    uow: UowDep, actor: Annotated[Actor, Depends(Allowed(Permission.AUTHENTICATED))]
) -> list[TokenRead]:
    """The caller's tokens, without their secrets."""
    return [
        TokenRead(
            id=t.id,
            name=t.name,
            scopes=sorted(p.value for p in t.scopes),
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )
        for t in security.list_tokens(uow, actor.username, actor=actor)
    ]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: uuid.UUID,
    uow: UowDep,
    actor: Annotated[Actor, Depends(Allowed(Permission.AUTHENTICATED))],
) -> Response:
    """Revoke a token (one's own; any with users.manage). Refused from the next request on."""
    security.revoke_token(uow, token_id, actor=actor)
    return Response(status_code=204)
