"""Boarding passes and their signed tokens.

The QR code of a pass carries ``SP1.<payload>.<signature>`` (base64url): the payload is the pass id,
the person id and the leg id (16 bytes each); the signature is Ed25519 over ``SP1.`` and the payload,
with a private key kept in a file outside the database (setting ``boarding_pass_key_file``, made 0600
at first use). A checkpoint verifies the signature before it looks anything up: a forged pass (another
key) or an altered one (a byte changed) is rejected with the reason, and a genuine token whose pass
was revoked is rejected as revoked. The pass number (``BP-XXXX-XXXX``) is what a checkpoint types
when there is no camera: it is looked up, so it proves nothing by itself, and is audited as typed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from safepassage.movements.models import BoardingPass, PlanAssignment, TransportLeg
from safepassage.movements.planner import LegStatus
from safepassage.movements.planning import accepted_plan
from safepassage.registry.models import Person
from safepassage.security.audit.signing import create_key_file
from safepassage.security.policy import Actor, Permission, require, require_site
from safepassage.shared.errors import Conflict
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

PREFIX = "SP1."
LANGUAGES = ("en", "ru", "ar")
_PRINTED = {"eng": "en", "rus": "ru", "ara": "ar", "apc": "ar", "arb": "ar"}
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread


def key_path(var_dir: Path, configured: Path | None) -> Path:
    return configured if configured is not None else Path(var_dir) / "keys" / "boarding-pass.key"


@functools.lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> Ed25519PrivateKey:
    del mtime_ns  # part of the cache key: a replaced key file is read again
    data = path.read_bytes()
    if not data.strip():
        raise RuntimeError(f"the boarding-pass key file {path} is empty")
    private = serialization.load_pem_private_key(data, password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise RuntimeError(f"{path} does not hold an Ed25519 private key")
    return private


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The boarding-pass key in ``path``, created there (0600) on first use."""
    if not path.exists():
        create_key_file(path)
    try:
        return _load(path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise RuntimeError(f"the boarding-pass key cannot be read from {path}: {exc.strerror}") from None


def public_key(path: Path) -> Ed25519PublicKey:
    return signing_key(path).public_key()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(key: Ed25519PrivateKey, pass_id: uuid.UUID, person_id: uuid.UUID, leg_id: uuid.UUID) -> str:
    payload = _b64(pass_id.bytes + person_id.bytes + leg_id.bytes)
    signature = key.sign((PREFIX + payload).encode())
    return f"{PREFIX}{payload}.{_b64(signature)}"


@dataclass(frozen=True)
class TokenClaims:
    pass_id: uuid.UUID
    person_id: uuid.UUID
    leg_id: uuid.UUID


class BadToken(ValueError):
    """A token that is not one this operation signed; the message says why, for the checkpoint."""


def read_token(public: Ed25519PublicKey, token: str) -> TokenClaims:
    token = token.strip()
    if not token.startswith(PREFIX) or token.count(".") != 2:
        raise BadToken("not a SafePassage boarding-pass code")
    _, payload, signature = token.split(".")
    try:
        raw, sig = _unb64(payload), _unb64(signature)
    except (binascii.Error, ValueError):
        raise BadToken("the code is damaged (not base64)") from None
    if _b64(raw) != payload or _b64(sig) != signature:  # one spelling per token: no look-alike copies
        raise BadToken("the code is damaged (not canonical base64)")
    try:
        public.verify(sig, (PREFIX + payload).encode())
    except InvalidSignature:
        raise BadToken("the signature does not verify: forged or altered pass") from None
    if len(raw) != 48:
        raise BadToken("the code is damaged (wrong length)")
    return TokenClaims(uuid.UUID(bytes=raw[:16]), uuid.UUID(bytes=raw[16:32]), uuid.UUID(bytes=raw[32:]))


def new_number() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"BP-{chars[:4]}-{chars[4:]}"


def normalise_number(text: str) -> str:
    """What was typed, read leniently: case, spaces, O for 0 and I/L for 1."""
    t = text.strip().upper().replace(" ", "").replace("O", "0").replace("I", "1").replace("L", "1")
    t = t.replace("-", "").removeprefix("BP")
    return f"BP-{t[:4]}-{t[4:]}" if len(t) == 8 else text.strip().upper()


def language_for(person: Person) -> str:
    """The first of the person's languages a pass can be printed in; English otherwise."""
    for lang in person.languages:  # stored as ISO 639-3 (rus, ara, eng); 639-1 accepted too
        code = _PRINTED.get(lang.lower(), lang.lower())
        if code in LANGUAGES:
            return code
    return "en"


def issue_passes(uow: UnitOfWork, leg_id: uuid.UUID, *, actor: Actor) -> list[uuid.UUID]:
    """A pass for everyone the accepted plan puts on the leg who holds none yet; the new pass ids."""
    from safepassage.movements.legs import get_leg_or_raise

    require(actor, Permission.MOVEMENTS_PLAN)
    with uow.acting(actor):
        leg = get_leg_or_raise(uow, leg_id, actor=actor)
        require_site(actor, leg.origin_site_id, what="leg's origin")
        if leg.status not in (LegStatus.PLANNED, LegStatus.BOARDING):
            raise Conflict(
                say(
                    "leg %(code)s is %(status)s: no passes can be issued",
                    code=leg.code,
                    status=leg.status,
                )
            )
        plan = accepted_plan(uow, leg.origin_site_id)
        if plan is None:
            raise Conflict(say("no plan is accepted for this site yet: accept a proposal first"))
        on_leg = [a for a in plan.assignments if a.leg_id == leg.id]
        holding = set(
            uow.session.scalars(
                select(BoardingPass.person_id).where(
                    BoardingPass.leg_id == leg.id, BoardingPass.revoked_at.is_(None)
                )
            )
        )
        languages = {
            p.id: language_for(p)
            for p in uow.session.scalars(select(Person).where(Person.id.in_([a.person_id for a in on_leg])))
        }
        made = [_new_pass(uow, leg, plan.id, a, languages.get(a.person_id, "en"), actor) for a in on_leg
                if a.person_id not in holding]  # fmt: skip
        uow.session.flush()
        uow.audit(
            "movement.passes.issued",
            entity="leg",
            entity_id=leg.id,
            site_id=leg.origin_site_id,
            details={"passes": len(made)},
        )
        uow.commit()
        return [p.id for p in made]


def _new_pass(
    uow: UnitOfWork, leg: TransportLeg, plan_id: uuid.UUID, a: PlanAssignment, language: str, actor: Actor
) -> BoardingPass:
    boarding = BoardingPass(
        number=new_number(),
        person_id=a.person_id,
        leg_id=leg.id,
        plan_id=plan_id,
        group_key=a.group_key,
        place=a.place,
        language=language,
        issued_at=uow.now(),
        issued_by=actor.username,
    )
    uow.session.add(boarding)
    return boarding
