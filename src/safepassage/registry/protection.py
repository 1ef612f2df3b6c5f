"""Protection attributes sealed on write and opened on read, for a stated purpose.

Writes: every value is sealed (``security.keys``) under the data key of the person's site, bound to
``protection_attributes`` / the person's id / the field name, before it reaches the session: the
database, its WAL, its backups, the change history and the logs only ever see the envelope.
Reads: only ``open_protection`` opens them, after ``require_field(actor, PROTECTED, READ)`` and a
stated purpose, and it queues a ``protected.read`` audit entry (field names, never values) that is
committed before anything is returned. A value whose key was shredded comes back as
``Withheld(state="shredded")``, never as an error: the rest of the record stays usable.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safepassage.registry import schemas
from safepassage.registry.codes import CollectionPurpose
from safepassage.registry.models import PROTECTED_FIELDS, Person, ProtectionAttributes
from safepassage.security.keys import (
    FieldCryptoError,
    FieldRef,
    KeyShredded,
    KeyState,
    KeyUnavailable,
    SiteKey,
    field_keys,
    is_sealed,
)
from safepassage.security.keys.envelope import Envelope
from safepassage.security.policy import Access, Actor, FieldClass, Permission, require, require_field
from safepassage.shared.errors import FieldProblem, Invalid
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

log = logging.getLogger("safepassage.protection")

TABLE = ProtectionAttributes.__tablename__
MIN_PURPOSE = 5
MAX_PURPOSE = 300


def field_ref(person_id: uuid.UUID, name: str) -> FieldRef:
    return FieldRef(table=TABLE, record_id=person_id, field=name)


def stated_purpose(purpose: str | None) -> str:
    """The purpose a reader gives for opening protection attributes, checked."""
    text = " ".join((purpose or "").split())
    if len(text) < MIN_PURPOSE:
        raise Invalid(
            say("opening protection attributes needs a stated purpose"),
            problems=[
                FieldProblem(
                    "purpose", f"required: say why you open them (at least {MIN_PURPOSE} characters)"
                )
            ],
        )
    if len(text) > MAX_PURPOSE:
        raise Invalid(
            say("the purpose is too long"),
            problems=[FieldProblem("purpose", say("at most %(n)s characters", n=MAX_PURPOSE))],
        )
    return text


def seal_protection(uow: UnitOfWork, person: Person, values: Mapping[str, str | None]) -> None:
    """Set the given protection attributes of ``person``, each sealed under the data key of the
    person's site; an empty value clears its field. ``values`` may carry the collection ``purpose``
    (required when something is recorded and none is on file): it sets how long they are kept.
    Call inside the service's transaction."""
    values = dict(values)
    purpose = values.pop("purpose", None)
    keys = field_keys(uow.session)
    if person.protection is None:
        person.protection = ProtectionAttributes()
    recording = any(values.values())
    if purpose is None and recording and person.protection.purpose is None:
        raise Invalid(
            say("protected details are collected only for a stated purpose"),
            problems=[FieldProblem("protection.purpose", say("say why they are collected"))],
        )
    if purpose is not None:
        code = CollectionPurpose(purpose)
        now = uow.now()
        person.protection.purpose = code.value
        person.protection.collected_at = now
        person.protection.retain_until = now + dt.timedelta(days=uow.retention_days(code.value))
    for name, value in values.items():
        if name not in PROTECTED_FIELDS:
            raise ValueError(f"not a protected field: {name}")
        sealed = None
        if value:
            sealed = keys.seal(
                uow.session, person.site_id, field_ref(person.id, name), value, by=uow.actor, now=uow.now()
            )
        setattr(person.protection, name, sealed)


def _withheld(exc: FieldCryptoError) -> schemas.Withheld:
    if isinstance(exc, KeyShredded):
        return schemas.Withheld(state="shredded")
    if isinstance(exc, KeyUnavailable):
        return schemas.Withheld(state="unavailable")
    return schemas.Withheld(state="damaged")


def open_protection(
    uow: UnitOfWork, person: Person, *, actor: Actor, purpose: str | None
) -> schemas.ProtectionRead | None:
    """The person's protection attributes, opened for ``purpose``; None when none are recorded.
    Queues and commits the ``protected.read`` audit entry first: no audit, no values."""
    require_field(actor, FieldClass.PROTECTED, Access.READ)
    reason = stated_purpose(purpose)
    attrs = person.protection
    values: dict[str, str | schemas.Withheld | None] = dict.fromkeys(PROTECTED_FIELDS)
    opened: list[str] = []
    withheld: dict[str, str] = {}
    if attrs is not None:
        items = [(field_ref(person.id, f), getattr(attrs, f)) for f in PROTECTED_FIELDS if getattr(attrs, f)]
        results = field_keys(uow.session).open_many(uow.session, items)
        for (ref, _), result in zip(items, results, strict=True):
            if isinstance(result, str):
                values[ref.field] = result
                opened.append(ref.field)
                continue
            values[ref.field] = shown = _withheld(result)
            withheld[ref.field] = shown.state
            if not isinstance(result, KeyShredded):  # names the key and field, never a value
                log.error(
                    "protected field %s of person %s cannot be opened: %s", ref.field, person.id, result
                )
    uow.audit(
        "protected.read",
        entity="person",
        entity_id=person.id,
        site_id=person.site_id,
        purpose=reason,
        details={"fields": opened, "withheld": withheld} if withheld else {"fields": opened},
    )
    uow.commit()
    return schemas.ProtectionRead.model_validate(values) if attrs is not None else None


@dataclass(frozen=True)
class ResealReport:
    persons: int
    resealed: int
    shredded: int  # values left as they are: their key is gone
    unreadable: int  # values that could not be opened (see the log)


def reseal_site(uow: UnitOfWork, site_id: uuid.UUID, *, actor: Actor, batch: int = 500) -> ResealReport:
    """After ``keys rotate-site``: seal again, under the active key of each person's site, every
    protected value of the site's persons (and every value sealed under one of the site's keys) that
    is not under it yet, a batch per transaction. Values never sealed (written before field
    encryption) are sealed too. Nothing is shown to anyone: this is key management
    (``keys.manage``), audited per batch with counts."""
    require(actor, Permission.KEY_MANAGE)
    prefix = f"spf1:{site_id}:"
    after: uuid.UUID | None = None
    persons = resealed = shredded = unreadable = 0
    while True:
        with uow.acting(actor):
            session = uow.session
            keys = field_keys(session)
            stmt = (
                select(ProtectionAttributes, Person)
                .join(Person, Person.id == ProtectionAttributes.person_id)
                .where(
                    or_(
                        Person.site_id == site_id,
                        *(getattr(ProtectionAttributes, f).startswith(prefix) for f in PROTECTED_FIELDS),
                    )
                )
                .order_by(ProtectionAttributes.person_id)
                .limit(batch)
            )
            if after is not None:
                stmt = stmt.where(ProtectionAttributes.person_id > after)
            rows = list(session.execute(stmt).tuples())
            if not rows:
                return ResealReport(persons, resealed, shredded, unreadable)
            active: dict[uuid.UUID, int | None] = {
                r.site_id: r.version
                for r in session.scalars(select(SiteKey).where(SiteKey.state == KeyState.ACTIVE))
            }
            changed = 0
            for attrs, person in rows:
                persons += 1
                for name in PROTECTED_FIELDS:
                    text = getattr(attrs, name)
                    if not text:
                        continue
                    if is_sealed(text):
                        try:
                            env = Envelope.parse(text)
                            if env.site_id == person.site_id and env.version == active.get(person.site_id):
                                continue
                            plain = keys.open(session, field_ref(person.id, name), text)
                        except KeyShredded:
                            shredded += 1
                            continue
                        except FieldCryptoError as exc:
                            unreadable += 1
                            log.error(
                                "reseal: field %s of person %s cannot be opened: %s", name, person.id, exc
                            )
                            continue
                    else:
                        plain = text  # written before field encryption
                    setattr(
                        attrs,
                        name,
                        keys.seal(
                            session,
                            person.site_id,
                            field_ref(person.id, name),
                            plain,
                            by=actor.username,
                            now=uow.now(),
                        ),
                    )
                    if person.site_id not in active:  # its first key was made just now
                        active[person.site_id] = _active_version(session, person.site_id)
                    changed += 1
            resealed += changed
            after = rows[-1][0].person_id
            uow.audit(
                "keys.reseal", entity="site", entity_id=site_id, site_id=site_id, details={"values": changed}
            )
            uow.commit()


def _active_version(session: Session, site_id: uuid.UUID) -> int | None:
    return session.scalar(
        select(SiteKey.version).where(SiteKey.site_id == site_id, SiteKey.state == KeyState.ACTIVE)
    )
