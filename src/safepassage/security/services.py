"""Account use cases: users, passwords (Argon2id), API tokens.

Issue 3 hardens this (second factor, rate limits, site scope); the entry points already go through here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from safepassage.security.models import ApiToken, User
from safepassage.security.policy import Actor, Permission, Role, require
from safepassage.shared.errors import Conflict, FieldProblem, Invalid, NotFound
from safepassage.uow import UnitOfWork

# argon2-cffi's defaults are RFC 9106's second recommended (low-memory) set: t=3, m=64 MiB, p=4.
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 12


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(username=user.username, role=Role(user.role), user_id=user.id)


def create_user(
    uow: UnitOfWork,
    *,
    username: str,
    role: Role,
    display_name: str | None = None,
    password: str | None = None,
    language: str = "en",
    actor: Actor,
) -> tuple[uuid.UUID, str]:
    """Create an account; returns its id and the password (generated when none is given)."""
    require(actor, Permission.USER_MANAGE)
    username = username.strip().lower()
    problems = []
    if not username or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        problems.append(FieldProblem("username", "letters, digits, dot, dash and underscore only"))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldProblem("password", f"at least {MIN_PASSWORD_LENGTH} characters"))
    if problems:
        raise Invalid("the account cannot be created", problems=problems)
    secret = password or generate_password()
    with uow.acting(actor.username):
        if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(
                f"the username '{username}' is taken", problems=[FieldProblem("username", "taken")]
            )
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            password_hash=_hasher.hash(secret),
            language=language,
            created_at=uow.now(),
        )
        uow.session.add(user)
        uow.commit()
        return user.id, secret


def authenticate(uow: UnitOfWork, username: str, password: str) -> Actor | None:
    """The actor for these credentials, or None. Unknown user and wrong password look alike."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
        stored = user.password_hash if user is not None and user.is_active else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.is_active:
            return None
        if _hasher.check_needs_rehash(stored):
            user.password_hash = _hasher.hash(password)
            uow.commit()
        return actor_of(user)


def issue_token(
    uow: UnitOfWork,
    *,
    username: str,
    name: str,
    valid_for: dt.timedelta = dt.timedelta(days=30),
    actor: Actor,
) -> str:
    """A new API token for ``username`` (an administrator's act, or the user's own)."""
    if actor.username != username:
        require(actor, Permission.USER_MANAGE)
    token = "sp_" + secrets.token_urlsafe(32)
    with uow.acting(actor.username):
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"user '{username}' does not exist")
        now = uow.now()
        uow.session.add(
            ApiToken(
                user_id=user.id,
                name=name,
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=now + valid_for,
            )
        )
        uow.commit()
    return token


def actor_for_token(uow: UnitOfWork, token: str) -> Actor | None:
    digest = _token_hash(token)
    with uow:
        row = uow.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == digest).options(joinedload(ApiToken.user))
        )
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        if row.revoked_at is not None or row.expires_at <= uow.now() or not row.user.is_active:
            return None
        return actor_of(row.user)


def actor_for_user_id(uow: UnitOfWork, user_id: uuid.UUID) -> Actor | None:
    with uow:
        user = uow.session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return actor_of(user)


def count_users(uow: UnitOfWork) -> int:
    with uow:
        return len(list(uow.session.scalars(select(User.id))))
