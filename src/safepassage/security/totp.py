"""The second factor: TOTP (RFC 6238, 30-second steps, 6 digits) for supervisors and administrators.

- Enrolment: a new random seed is shown once (QR code and text) and kept sealed (AES-256-GCM under a
  key derived from the server's secret key, bound to the account's id); the account is enrolled once
  a first code from the authenticator is confirmed. Showing the page again makes a new seed.
- Verification accepts the current step and one step either side (clock drift), and never a code of
  the last accepted step or an earlier one: a code seen over a shoulder or in a log cannot be replayed.
- Wrong codes count as failed sign-ins of the account and the address (the same rate limits).
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import os
import uuid
from dataclasses import dataclass

import pyotp
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from safepassage.security import web_sessions
from safepassage.security.accounts import (
    LoginLimits,
    address_key,
    is_limited,
    record_attempt,
    record_failure,
)
from safepassage.security.actors import actor_of
from safepassage.security.models import User
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Conflict, NotFound
from safepassage.uow import UnitOfWork

ISSUER = "SafePassage"
STEP_SECONDS = 30
DRIFT_STEPS = 1
_NONCE = 12


def sealing_key(server_secret: str) -> bytes:
    """The AES-256 key that seals TOTP seeds, derived from the server's secret key (HKDF-SHA256).
    Changing the secret key makes every enrolled second factor unreadable: re-enrol them."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"safepassage totp seed v1").derive(
        server_secret.encode()
    )


def seal(key: bytes, user_id: uuid.UUID, seed: str) -> str:
    nonce = os.urandom(_NONCE)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, seed.encode(), user_id.bytes)).decode()


def unseal(key: bytes, user_id: uuid.UUID, sealed: str) -> str:
    raw = base64.b64decode(sealed)
    return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], user_id.bytes).decode()


def time_step(at: dt.datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def matching_step(seed: str, code: str, at: dt.datetime, *, after: int | None) -> int | None:
    """The step (now ± 1) whose code is ``code`` and that is later than ``after``; else None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(seed, interval=STEP_SECONDS)
    now_step = time_step(at)
    found = None
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (after is None or step > after):
            found = step
    return found


@dataclass(frozen=True)
class Enrolment:
    """What the user copies into an authenticator: shown once."""

    secret: str
    uri: str

    def qr_svg(self) -> str:
        """The provisioning URI as an inline SVG QR code (no script, no external image)."""
        return str(segno.make(self.uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff"))


def _new_enrolment(user: User, key: bytes) -> Enrolment:
    seed = pyotp.random_base32(32)  # 160 bits
    user.totp_secret = seal(key, user.id, seed)
    user.totp_enrolled_at = None
    user.totp_last_step = None
    uri = pyotp.TOTP(seed, interval=STEP_SECONDS).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret=seed, uri=uri)


def begin_enrolment(uow: UnitOfWork, user_id: uuid.UUID, *, key: bytes) -> Enrolment:
    """A new, unconfirmed seed for an account that has no second factor yet (the sign-in flow)."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None or not user.is_active:
            raise NotFound("account not found")
        if user.totp_enrolled_at is not None:
            raise Conflict("a second factor is enrolled already; an administrator can reset it")
        enrolment = _new_enrolment(user, key)
        uow.commit()
        return enrolment


def verify(
    uow: UnitOfWork,
    user_id: uuid.UUID,
    code: str,
    *,
    key: bytes,
    address: str | None,
    limits: LoginLimits,
    confirm: bool = False,
) -> Actor | None:
    """The second step of signing in (``confirm``: the first code of an enrolment). The actor when
    the code is right, unused, and neither the account nor the address is rate-limited; else None,
    counted as a failed sign-in."""
    where = address_key(address)
    with uow:
        now = uow.now()
        user = uow.session.get(User, user_id)
        if user is None:
            return None
        limited = is_limited(uow.session, user.username, where, now, limits)
        step = None
        pending = confirm == (user.totp_enrolled_at is None)
        if user.is_active and user.totp_secret is not None and pending and not limited:
            seed = unseal(key, user.id, user.totp_secret)
            step = matching_step(seed, code, now, after=user.totp_last_step)
        if step is None:
            record_failure(uow, user.username, where, limits, was_limited=limited)
            uow.commit()
            return None
        user.totp_last_step = step
        if confirm:
            user.totp_enrolled_at = now
            uow.audit("user.second_factor_enrol", entity="users", entity_id=user.id)
        record_attempt(uow.session, user.username, where, now, succeeded=True)
        uow.commit()
        return actor_of(user, address=address)


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"user '{username}' does not exist")
    return user


def enrol_now(uow: UnitOfWork, username: str, *, key: bytes, actor: Actor) -> Enrolment:
    """An administrator (or the server's operator) gives an account a new second factor, enrolled at
    once, to be handed over in person; the old one stops working and the account's sessions end."""
    require(actor, Permission.USER_MANAGE)
    with uow.acting(actor):
        user = _user(uow, username)
        enrolment = _new_enrolment(user, key)
        user.totp_enrolled_at = uow.now()
        web_sessions.end_all(uow.session, [user.id], uow.now(), reason="second factor replaced")
        uow.audit("user.second_factor_replace", entity="users", entity_id=user.id)
        uow.commit()
        return enrolment


def reset(uow: UnitOfWork, username: str, *, actor: Actor) -> None:
    """Forget an account's second factor (a lost phone): its sessions end, and at the next sign-in
    the user must enrol a new one before doing anything else."""
    require(actor, Permission.USER_MANAGE)
    with uow.acting(actor):
        user = _user(uow, username)
        user.totp_secret = None
        user.totp_enrolled_at = None
        user.totp_last_step = None
        web_sessions.end_all(uow.session, [user.id], uow.now(), reason="second factor reset")
        uow.audit("user.second_factor_reset", entity="users", entity_id=user.id, flagged=True)
        uow.commit()
