"""Retention: protected details are kept only as long as the purpose they were collected for.

Each record of protected details carries its collection purpose and the date it may be kept until
(``protection_retention_days`` per purpose). ``apply_retention`` removes every value past that date,
and puts each removal on the audit trail (field names and purpose, never values). Operators run it
daily (``safepassage retention apply``, e.g. from cron); nothing else about the person changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from safepassage.registry.models import PROTECTED_FIELDS, Person, ProtectionAttributes
from safepassage.registry.scoping import in_scope
from safepassage.security.policy import Actor, Permission, require
from safepassage.uow import UnitOfWork

BATCH = 500


@dataclass
class RetentionReport:
    expired: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)
    person_ids: list[uuid.UUID] = field(default_factory=list)


def apply_retention(uow: UnitOfWork, *, actor: Actor, dry_run: bool = False) -> RetentionReport:
    """Remove the protected details whose retention has ended (or, ``dry_run``, count them)."""
    require(actor, Permission.ERASE)
    report = RetentionReport()
    with uow.acting(actor):
        now = uow.now()
        stmt = (
            select(ProtectionAttributes, Person.site_id)
            .join(Person, Person.id == ProtectionAttributes.person_id)
            .where(ProtectionAttributes.retain_until <= now, in_scope(Person.site_id, actor))
            .order_by(ProtectionAttributes.person_id)
        )
        for attributes, site_id in uow.session.execute(stmt).tuples().all():
            purpose = attributes.purpose or "unknown"
            report.expired += 1
            report.by_purpose[purpose] = report.by_purpose.get(purpose, 0) + 1
            report.person_ids.append(attributes.person_id)
            if dry_run:
                continue
            held = [name for name in PROTECTED_FIELDS if getattr(attributes, name) is not None]
            for name in PROTECTED_FIELDS:
                setattr(attributes, name, None)
            attributes.purpose = attributes.collected_at = attributes.retain_until = None
            uow.audit(
                "protection.expired",
                entity="person",
                entity_id=attributes.person_id,
                site_id=site_id,
                purpose=f"retention of '{purpose}' ended",
                details={"fields": held, "purpose": purpose},
            )
            if report.expired % BATCH == 0:
                uow.commit()
        if not dry_run:
            uow.commit()
    return report
