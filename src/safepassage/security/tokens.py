"""API bearer tokens: scoped, expiring, revocable, stored hashed.

A token is ``sp_`` + 256 random bits, shown once; only its SHA-256 is stored (a random token is not a
password: a fast hash is enough, and a copy of the database opens nothing). Each token carries a set
of permissions, a subset of its user's role (none given: the whole role); acting through it, the user
can do only those. It expires (at most ``token_max_days``), and is refused once revoked or once its
account is disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select

from safepassage.security.models import ApiToken, User, UserSite
from safepassage.security.policy import GRANTS, Actor, Permission, Role, require
from safepassage.shared.errors import FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.shared.ids import new_id
from safepassage.uow import UnitOfWork

PREFIX = "sp_"
DEFAULT_LIFETIME = dt.timedelta(days=30)
MAX_LIFETIME = dt.timedelta(days=90)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(values: Iterable[str]) -> frozenset[Permission]:
    """Permission names to permissions; an unknown name is a clear error."""
    scopes, unknown = set(), []
    for value in values:
        try:
            scopes.add(Permission(value.strip()))
        except ValueError:
            unknown.append(value)
    if unknown:
        names = ", ".join(p.value for p in Permission)
        raise Invalid(
            say("unknown scope"),
            problems=[
                FieldProblem(
                    "scopes", say("'%(scope)s' is not a permission (one of: %(names)s)", scope=u, names=names)
                )
                for u in unknown
            ],
        )
    return frozenset(scopes)


def scopes_for(role: Role, scopes: frozenset[Permission] | None) -> frozenset[Permission]:
    """What a token asked with ``scopes`` carries; more than the role grants is refused."""
    granted = GRANTS[role]
    if scopes is None:
        return granted
    beyond = sorted(p.value for p in scopes - granted)
    if beyond:
        raise Invalid(
            say("a token cannot carry more than its user's role"),
            problems=[
                FieldProblem(
                    "scopes",
                    say("the role %(role)s does not grant %(permission)s", role=role.value, permission=p),
                )
                for p in beyond
            ],
        )
    return scopes | {Permission.AUTHENTICATED}


def issue_token(
    uow: UnitOfWork,
    *,
    username: str,
    name: str,
    valid_for: dt.timedelta = DEFAULT_LIFETIME,
    scopes: frozenset[Permission] | None = None,
    max_lifetime: dt.timedelta = MAX_LIFETIME,
    actor: Actor,
) -> str:
    """A new API token for ``username`` (the user's own act, or an administrator's), carrying
    ``scopes`` (a subset of the role's grants; None: all of them). Returned once."""
    if actor.username != username:
        require(actor, Permission.USER_MANAGE)
    if valid_for <= dt.timedelta(0) or valid_for > max_lifetime:
        raise Invalid(
            say("the token's lifetime is out of bounds"),
            problems=[FieldProblem("valid_days", say("between 1 and %(days)s days", days=max_lifetime.days))],
        )
    token = PREFIX + secrets.token_urlsafe(32)
    with uow.acting(actor):
        user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise NotFound(say("user '%(name)s' does not exist", name=username))
        carried = scopes_for(Role(user.role), scopes)
        now = uow.now()
        row = ApiToken(
            id=new_id(),
            user_id=user.id,
            name=name,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + valid_for,
            scopes=" ".join(sorted(p.value for p in carried)),
        )
        uow.session.add(row)
        uow.audit(
            "token.issue",
            entity="api_tokens",
            entity_id=row.id,
            details={"username": user.username, "scopes": row.scopes.split(), "days": valid_for.days},
        )
        uow.commit()
    return token


def _scopes_of(scopes: str) -> frozenset[Permission]:
    known = {p.value for p in Permission}
    return frozenset(Permission(s) for s in scopes.split() if s in known)


# The token, its user and the user's sites in one statement (one row per site). These tables have no
# row-level security, so the lookup needs no actor scope and no transaction: it runs on a connection
# in autocommit, one round trip on every API request instead of five (begin, scope, token and user,
# sites, rollback).
_BY_DIGEST = (
    select(
        ApiToken.token_hash,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.scopes,
        User.id,
        User.username,
        User.role,
        User.is_active,
        UserSite.site_id,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(UserSite, UserSite.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


def actor_for_token(uow: UnitOfWork, token: str, *, address: str | None = None) -> Actor | None:
    """The actor behind a bearer token, narrowed to its scopes; None if unknown, expired, revoked or
    its account disabled."""
    if not token.startswith(PREFIX):
        return None
    digest = token_hash(token)
    with uow:
        engine = uow.session.get_bind()
        assert isinstance(engine, Engine)  # the unit of work's sessions are bound to its engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            rows = conn.execute(_BY_DIGEST, {"digest": digest}).all()
    if not rows or not hmac.compare_digest(rows[0].token_hash, digest):
        return None
    first = rows[0]
    if first.revoked_at is not None or first.expires_at <= uow.now() or not first.is_active:
        return None
    return Actor(
        username=first.username,
        role=Role(first.role),
        user_id=first.id,
        site_ids=frozenset(r.site_id for r in rows if r.site_id is not None),
        scopes=_scopes_of(first.scopes),
        address=address,
    )


@dataclass(frozen=True)
class TokenSummary:
    """A token without its secret."""

    id: uuid.UUID
    username: str
    name: str
    scopes: frozenset[Permission]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


def list_tokens(uow: UnitOfWork, username: str, *, actor: Actor) -> list[TokenSummary]:
    if actor.username != username:
        require(actor, Permission.USER_MANAGE)
    with uow:
        rows = uow.session.scalars(
            select(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .where(User.username == username.strip().lower())
            .order_by(ApiToken.created_at)
        )
        return [
            TokenSummary(
                r.id, username, r.name, _scopes_of(r.scopes), r.created_at, r.expires_at, r.revoked_at
            )
            for r in rows
        ]


def revoke_token(uow: UnitOfWork, token_id: uuid.UUID, *, actor: Actor) -> None:
    """Revoke a token: one's own, or anyone's with USER_MANAGE. Refused from the next request."""
    with uow.acting(actor):
        row = uow.session.get(ApiToken, token_id)
        if row is None or (row.user_id != actor.user_id and not actor.can(Permission.USER_MANAGE)):
            raise NotFound(say("token not found"))
        if row.revoked_at is None:
            row.revoked_at = uow.now()
            uow.audit("token.revoke", entity="api_tokens", entity_id=row.id)
        uow.commit()
