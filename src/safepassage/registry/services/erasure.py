"""Erasing a person: their personal data goes, the counts they are part of and the audit chain stay.

What is removed: every name and spelling, the search tokens, identity documents, phones, protection
attributes, specific-needs codes, consent records (with their notes and partners), intention
statements, closed stays, place of birth, nationalities, languages, the source key, and the day and
month of birth. What is kept, as a tombstone that identifies nobody: the person's row and id (so the
household's size, the site's registrations and the audit entries that name the id stay consistent),
site, household and relationship to its head, sex, evacuation category, current intention, an open
stay (so a site's occupancy stays true), and the birth year rounded down to a five-year bucket
(estimated). Records merged into this person (the same human registered twice) are erased with it.

The change history keeps its rows (who changed what, when) but every old and new value of this
person's records is replaced by ``«erased»``, including the records this erasure writes. The audit
trail is not touched: its entries never held personal values (field names, ids and counts only),
so its hash chain stays valid; the erasure itself is appended to it (``person.erase``).

Movement records go the same way (``movements.erasure``): frozen manifests keep the person's row for
their counts and accountability but lose names, date of birth, nationality and document; plan
summaries lose the reasons that held the person back; passes lose the person's language.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import case, delete, func, or_, select, update

from safepassage.history import ChangeRecord
from safepassage.idempotency import IdempotencyRecord
from safepassage.movements.erasure import erase_from_movements
from safepassage.registry.models import Person
from safepassage.registry.services.lookups import get_person_or_raise
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.dates import DatePrecision
from safepassage.shared.errors import FieldProblem, Invalid
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

ERASED = "«erased»"
BIRTH_YEAR_BUCKET = 5
MIN_REASON = 10


@dataclass(frozen=True)
class ErasureReport:
    person_ids: list[uuid.UUID]  # the person and the records merged into them
    values_removed: int  # rows of names, documents, phones, needs, consents... deleted
    change_values_scrubbed: int
    cached_answers_removed: int


def erase_person(uow: UnitOfWork, person_id: uuid.UUID, *, actor: Actor, reason: str) -> ErasureReport:
    """Erase the person's personal data (see the module's docstring), in one transaction."""
    require(actor, Permission.ERASE)
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise Invalid(
            say("say why the person's data is erased"),
            problems=[FieldProblem("reason", say("at least %(n)s characters", n=MIN_REASON))],
        )
    with uow.acting(actor):
        person = get_person_or_raise(uow, person_id, actor=actor)
        merged = list(uow.session.scalars(select(Person).where(Person.merged_into_id == person.id)))
        removed = 0
        for p in (person, *merged):
            removed += _strip(p)
            p.updated_at = uow.now()
        uow.session.flush()  # the history listener records the deletions (values scrubbed below)
        ids = [p.id for p in (person, *merged)]
        scrubbed = _scrub_history(uow, ids)
        cached = _forget_answers(uow, ids)
        movements = erase_from_movements(uow, ids)
        uow.audit(
            "person.erase",
            entity="person",
            entity_id=person.id,
            site_id=person.site_id,
            purpose=reason,
            details={
                "merged_records": len(merged),
                "values_removed": removed,
                "change_values_scrubbed": scrubbed,
                "manifest_entries_scrubbed": movements.manifest_entries,
                "plan_reasons_scrubbed": movements.plan_reasons,
            },
        )
        uow.commit()
        return ErasureReport(ids, removed, scrubbed, cached)


def _strip(person: Person) -> int:
    removed = 0
    for rows in (
        person.names,
        person.tokens,
        person.documents,
        person.phones,
        person.needs,
        person.consents,
        person.intentions,
    ):
        removed += len(rows)
        rows.clear()
    closed = [s for s in person.stays if s.checked_out_at is not None]
    removed += len(closed)
    person.stays[:] = [s for s in person.stays if s.checked_out_at is None]
    if person.protection is not None:
        removed += 1
        person.protection = None
    person.place_of_birth = None
    person.nationalities = []
    person.languages = []
    person.source_key = None
    if person.birth_year is not None:
        person.birth_year -= person.birth_year % BIRTH_YEAR_BUCKET
        person.birth_precision = DatePrecision.YEAR
        person.birth_estimated = True
    else:
        person.birth_precision = DatePrecision.UNKNOWN
    person.birth_month = None
    person.birth_day = None
    return removed


def _scrub_history(uow: UnitOfWork, ids: list[uuid.UUID]) -> int:
    """Every recorded value of these persons' records replaced by ``«erased»`` (NULL stays NULL:
    "there was no value" reveals nothing)."""
    result = uow.session.execute(
        update(ChangeRecord)
        .where(
            ChangeRecord.subject_id.in_(ids),
            (ChangeRecord.old_value.is_not(None)) | (ChangeRecord.new_value.is_not(None)),
        )
        .values(
            old_value=case((ChangeRecord.old_value.is_(None), None), else_=ERASED),
            new_value=case((ChangeRecord.new_value.is_(None), None), else_=ERASED),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _forget_answers(uow: UnitOfWork, ids: list[uuid.UUID]) -> int:
    """Answers kept for ``Idempotency-Key`` retries (a day at most) that mention these persons: they
    may hold their names. Matched in the database (a byte search in the stored body)."""
    body = IdempotencyRecord.body
    sqlite = uow.session.get_bind().dialect.name == "sqlite"
    needles = [str(i).encode() for i in ids]
    matches = [(func.instr(body, n) > 0) if sqlite else body.contains(n) for n in needles]
    result = uow.session.execute(
        delete(IdempotencyRecord).where(or_(*matches)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
