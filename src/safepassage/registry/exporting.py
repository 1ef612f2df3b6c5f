"""Export persons to CSV in the import's own column layout (a round trip re-imports as nothing new).

Protected attributes are never exported here. With ``partner``, only persons whose consent to share
with that partner is in force are written: a withdrawal takes effect at the next export.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from safepassage.registry.codes import ConsentPurpose, NamePart
from safepassage.registry.models import Person, Site
from safepassage.registry.queries import consent_in_force_filter
from safepassage.security.policy import Actor, Permission, require
from safepassage.uow import UnitOfWork

COLUMNS = [
    "person_id",
    "household",
    "relationship",
    "given_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "other_spellings",
    "sex",
    "birth_date",
    "birth_date_precision",
    "birth_date_estimated",
    "place_of_birth",
    "nationality",
    "languages",
    "document_type",
    "document_number",
    "document_country",
    "document_expiry",
    "phone",
    "needs",
    "category",
    "intention",
    "site",
]
BATCH = 1000


def _row(p: Person, site_codes: dict[uuid.UUID, str]) -> dict[str, str]:
    def primary(part: NamePart) -> str:
        name = p.primary_name(part)
        return name.text if name else ""

    doc = p.documents[0] if p.documents else None
    others = [f"{n.part.value}:{n.text}" for n in p.names if not n.is_primary]
    return {
        "person_id": str(p.id),
        "household": str(p.household_id or ""),
        "relationship": p.relationship_to_head.value,
        "given_name": primary(NamePart.GIVEN),
        "father_name": primary(NamePart.FATHER),
        "grandfather_name": primary(NamePart.GRANDFATHER),
        "family_name": primary(NamePart.FAMILY),
        "other_spellings": "; ".join(others),
        "sex": p.sex.value,
        "birth_date": p.birth_date.iso(),
        "birth_date_precision": p.birth_precision.value,
        "birth_date_estimated": "yes" if p.birth_estimated else "no",
        "place_of_birth": p.place_of_birth or "",
        "nationality": "; ".join(p.nationalities),
        "languages": "; ".join(p.languages),
        "document_type": doc.type.value if doc else "",
        "document_number": doc.number if doc else "",
        "document_country": (doc.issuing_country or "") if doc else "",
        "document_expiry": doc.expiry_date.isoformat() if doc and doc.expiry_date else "",
        "phone": "; ".join(ph.e164 for ph in p.phones),
        "needs": "; ".join(n.value for n in p.need_codes),
        "category": p.category.value,
        "intention": p.intention.value,
        "site": site_codes.get(p.site_id, ""),
    }


def iter_export_rows(
    uow: UnitOfWork, *, actor: Actor, site_id: uuid.UUID | None = None, partner: str | None = None
) -> Iterator[dict[str, str]]:
    """Rows in registration order, read in keyset batches so memory stays flat."""
    require(actor, Permission.REGISTRY_EXPORT)
    with uow:
        site_codes = dict(uow.session.execute(select(Site.id, Site.code)).tuples().all())
        after: uuid.UUID | None = None
        while True:
            stmt = select(Person).where(Person.merged_into_id.is_(None))
            if site_id is not None:
                stmt = stmt.where(Person.site_id == site_id)
            if partner:
                stmt = stmt.where(
                    Person.id.in_(consent_in_force_filter(ConsentPurpose.PARTNER_SHARING, partner))
                )
            if after is not None:
                stmt = stmt.where(Person.id > after)
            stmt = (
                stmt.order_by(Person.id)
                .limit(BATCH)
                .options(
                    selectinload(Person.names),
                    selectinload(Person.documents),
                    selectinload(Person.phones),
                    selectinload(Person.needs),
                )
            )
            batch = list(uow.session.scalars(stmt))
            if not batch:
                return
            for person in batch:
                yield _row(person, site_codes)
            after = batch[-1].id
            uow.session.expunge_all()


def export_csv(
    uow: UnitOfWork,
    out: Path,
    *,
    actor: Actor,
    site_id: uuid.UUID | None = None,
    partner: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the export; returns the number of persons written. UTF-8 with BOM, so Excel reads
    Arabic and Cyrillic correctly."""
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in iter_export_rows(uow, actor=actor, site_id=site_id, partner=partner):
            writer.writerow(row)
            count += 1
            if progress is not None and count % BATCH == 0:
                progress(count)
    return count
