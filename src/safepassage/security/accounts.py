"""Accounts: creating them, their sites, disabling them, and the password step of signing in.

Passwords are hashed with Argon2id at argon2-cffi's defaults, which are RFC 9106's second
recommended (low-memory) set: t=3 passes, m=64 MiB, p=4 lanes. Signing in never tells who exists:
an unknown user, a wrong password, a disabled account and a rate-limited one get the same answer
after the same work (exactly one Argon2 verification each).

Rate limits are counted in the database (``login_attempts``), so every server process agrees:
failures per typed username since its last success, and failures per address, in a sliding window.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from safepassage.config import Settings
from safepassage.security import web_sessions
from safepassage.security.actors import actor_of
from safepassage.security.models import LoginAttempt, User, UserSite
from safepassage.security.policy import SECOND_FACTOR_ROLES, Actor, Permission, Role, require
from safepassage.shared.errors import Conflict, FieldProblem, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.shared.ids import new_id
from safepassage.uow import UnitOfWork

HASHER = PasswordHasher()
# Verified against when the username is unknown, so every answer costs one Argon2 verification.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 12
ATTEMPTS_KEPT = dt.timedelta(days=1)
UNKNOWN_ADDRESS = "unknown"


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def verify_password(stored: str, password: str) -> bool:
    """One Argon2 verification; a malformed stored hash is a mismatch, never an error."""
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(username: str) -> str:
    return username.strip().lower()[:80]


# --- rate limits -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginLimits:
    window: dt.timedelta = dt.timedelta(minutes=15)
    per_account: int = 5
    per_address: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        return cls(
            window=dt.timedelta(seconds=settings.login_window_seconds),
            per_account=settings.login_max_failures_per_account,
            per_address=settings.login_max_failures_per_address,
        )


def address_key(address: str | None) -> str:
    return (address or UNKNOWN_ADDRESS)[:64]


def is_limited(session: Session, username: str, address: str, now: dt.datetime, limits: LoginLimits) -> bool:
    """Whether ``username`` or ``address`` has failed too often in the window. An account's count
    starts again after its own success; an address's does not (one good password from an address
    does not clear the failures it made on other accounts)."""
    since = now - limits.window
    # Attempts' ids are UUIDv7, ordered as made: "after the last success" holds even within one
    # clock tick.
    last_success = session.scalar(
        select(LoginAttempt.id)
        .where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True), LoginAttempt.at > since)
        .order_by(LoginAttempt.id.desc())
        .limit(1)
    )
    account = select(func.count()).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
    )
    if last_success is not None:
        account = account.where(LoginAttempt.id > last_success)
    account_failures = session.scalar(account)
    if (account_failures or 0) >= limits.per_account:
        return True
    address_failures = session.scalar(
        select(func.count()).where(
            LoginAttempt.address == address, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    )
    return (address_failures or 0) >= limits.per_address


def record_failure(
    uow: UnitOfWork, username: str, address: str, limits: LoginLimits, *, was_limited: bool
) -> None:
    """A failed sign-in; the failure that makes the account or the address limited goes on the audit
    trail, flagged for review (once, not at every attempt that follows)."""
    now = uow.now()
    record_attempt(uow.session, username, address, now, succeeded=False)
    uow.session.flush()
    if not was_limited and is_limited(uow.session, username, address, now, limits):
        uow.audit(
            "auth.rate_limited",
            entity="login_attempts",
            details={"username": username, "address": address},
            flagged=True,
        )


def record_attempt(
    session: Session, username: str, address: str, now: dt.datetime, *, succeeded: bool
) -> None:
    session.add(LoginAttempt(at=now, username=username, address=address, succeeded=succeeded))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPTS_KEPT))


# --- signing in: the password step ------------------------------------------------------------------------


class SecondFactor(StrEnum):
    NONE = "none"  # the role needs none: signed in
    VERIFY = "verify"  # enrolled: ask for a code
    ENROL = "enrol"  # the role needs one and none is enrolled: enrol before anything else


@dataclass(frozen=True)
class PasswordAccepted:
    """The password was right. The user is signed in only when ``second_factor`` is NONE."""

    user_id: uuid.UUID
    username: str
    role: Role
    second_factor: SecondFactor


def check_password(
    uow: UnitOfWork, username: str, password: str, *, address: str | None, limits: LoginLimits
) -> PasswordAccepted | None:
    """The password step. None for an unknown user, a wrong password, a disabled account or a
    rate-limited one, alike. A right password of a second-factor role is not yet a success: the
    account's failure count goes on until the code is right, so a known password does not buy more
    guesses at the code."""
    name = normalise_username(username)
    where = address_key(address)
    with uow.acting(name or "anonymous"):
        now = uow.now()
        user = uow.session.scalar(select(User).where(User.username == name)) if name else None
        right = verify_password(user.password_hash if user is not None else _DUMMY_HASH, password)
        limited = is_limited(uow.session, name, where, now, limits)
        if user is None or not right or not user.is_active or limited:
            record_failure(uow, name, where, limits, was_limited=limited)
            uow.commit()
            return None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        second = SecondFactor.NONE
        if Role(user.role) in SECOND_FACTOR_ROLES:
            second = SecondFactor.VERIFY if user.totp_enrolled_at is not None else SecondFactor.ENROL
        else:
            record_attempt(uow.session, name, where, now, succeeded=True)
        uow.commit()
        return PasswordAccepted(user.id, user.username, Role(user.role), second)


def actor_for_user_id(uow: UnitOfWork, user_id: uuid.UUID, *, address: str | None = None) -> Actor | None:
    """The actor of an account, if it exists and is not disabled."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return actor_of(user, address=address)


# --- managing accounts ------------------------------------------------------------------------------------


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(say("user '%(name)s' does not exist", name=username))
    return user


def _grant_sites(user: User, site_ids: Iterable[uuid.UUID], now: dt.datetime, by: str) -> None:
    have = {s.site_id for s in user.sites}
    for site_id in site_ids:
        if site_id not in have:
            user.sites.append(UserSite(user_id=user.id, site_id=site_id, granted_at=now, granted_by=by))
            have.add(site_id)


def create_user(
    uow: UnitOfWork,
    *,
    username: str,
    role: Role,
    display_name: str | None = None,
    password: str | None = None,
    language: str = "en",
    site_ids: Iterable[uuid.UUID] = (),
    actor: Actor,
) -> tuple[uuid.UUID, str]:
    """Create an account working for ``site_ids``; returns its id and the password (generated when
    none is given)."""
    require(actor, Permission.USER_MANAGE)
    username = username.strip().lower()
    problems = []
    if not username or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        problems.append(FieldProblem("username", say("letters, digits, dot, dash and underscore only")))
    elif len(username) > 80:
        problems.append(FieldProblem("username", say("at most 80 characters")))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldProblem("password", say("at least %(n)s characters", n=MIN_PASSWORD_LENGTH)))
    if problems:
        raise Invalid(say("the account cannot be created"), problems=problems)
    secret = password or generate_password()
    with uow.acting(actor):
        if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(
                f"the username '{username}' is taken", problems=[FieldProblem("username", say("taken"))]
            )
        user = User(
            id=new_id(),
            username=username,
            display_name=display_name or username,
            role=role,
            password_hash=HASHER.hash(secret),
            language=language,
            created_at=uow.now(),
            is_active=True,
        )
        user.sites = []
        _grant_sites(user, site_ids, uow.now(), actor.username)
        uow.session.add(user)
        uow.audit(
            "user.create",
            entity="users",
            entity_id=user.id,
            details={"username": username, "role": role.value, "sites": sorted(map(str, site_ids))},
        )
        uow.commit()
        return user.id, secret


def change_sites(
    uow: UnitOfWork,
    username: str,
    *,
    add: Iterable[uuid.UUID] = (),
    remove: Iterable[uuid.UUID] = (),
    actor: Actor,
) -> frozenset[uuid.UUID]:
    """Add and remove sites of an account; its open sessions see the change at their next request."""
    require(actor, Permission.USER_MANAGE)
    removed = set(remove)
    with uow.acting(actor):
        user = _user(uow, username)
        user.sites = [s for s in user.sites if s.site_id not in removed]
        _grant_sites(user, add, uow.now(), actor.username)
        now_sites = sorted(str(s.site_id) for s in user.sites)
        uow.audit("user.sites", entity="users", entity_id=user.id, details={"sites": now_sites})
        uow.commit()
        return frozenset(s.site_id for s in user.sites)


def set_active(uow: UnitOfWork, username: str, *, active: bool, actor: Actor) -> None:
    """Disable or enable an account. A disabled account's sessions and tokens are refused at their
    next request (each request checks the account), and its sessions are ended."""
    require(actor, Permission.USER_MANAGE)
    with uow.acting(actor):
        user = _user(uow, username)
        if actor.user_id is not None and user.id == actor.user_id and not active:
            raise Invalid(say("you cannot disable your own account"))
        user.is_active = active
        ended = 0
        if not active:
            ended = web_sessions.end_all(uow.session, [user.id], uow.now(), reason="disabled")
        uow.audit(
            "user.enable" if active else "user.disable",
            entity="users",
            entity_id=user.id,
            details={"sessions_ended": ended},
        )
        uow.commit()


@dataclass(frozen=True)
class UserSummary:
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    active: bool
    second_factor: bool
    site_ids: frozenset[uuid.UUID]


def list_users(uow: UnitOfWork, *, actor: Actor) -> list[UserSummary]:
    require(actor, Permission.USER_MANAGE)
    with uow:
        users = uow.session.scalars(select(User).order_by(User.username))
        return [
            UserSummary(
                u.id,
                u.username,
                u.display_name,
                Role(u.role),
                u.is_active,
                u.totp_enrolled_at is not None,
                frozenset(s.site_id for s in u.sites),
            )
            for u in users
        ]


def count_users(uow: UnitOfWork) -> int:
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(User)) or 0)
