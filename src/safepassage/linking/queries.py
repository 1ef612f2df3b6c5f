"""Reading the linking workflow: runs, the review queue (both records side by side), merges.

Every list keeps to pairs whose two persons the reader may open (see ``linking.services``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from safepassage.linking.models import Band, CandidatePair, LinkMerge, LinkRun, PairStatus
from safepassage.linking.records import person_record, persons_by_id
from safepassage.linking.schemas import MergeRead, PairRead, PersonSide, RunRead
from safepassage.linking.services import get_pair_or_raise
from safepassage.registry.models import Person, Site
from safepassage.security.policy import Actor, FieldClass, Permission, require
from safepassage.shared.errors import NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

MAX_PAGE = 500


def _run(run: LinkRun) -> RunRead:
    return RunRead.model_validate(run, from_attributes=True)


def list_runs(uow: UnitOfWork, *, actor: Actor, limit: int = 20) -> list[RunRead]:
    require(actor, Permission.LINKING_REVIEW)
    with uow.acting(actor):
        runs = uow.session.scalars(select(LinkRun).order_by(LinkRun.started_at.desc()).limit(limit))
        return [_run(r) for r in runs]


def get_run(uow: UnitOfWork, run_id: uuid.UUID, *, actor: Actor) -> RunRead:
    require(actor, Permission.LINKING_REVIEW)
    with uow.acting(actor):
        run = uow.session.get(LinkRun, run_id)
        if run is None:
            raise NotFound(say("link run not found"))
        return _run(run)


def side(person: Person, site_codes: dict[uuid.UUID, str], *, actor: Actor) -> PersonSide:
    record = person_record(person)
    identifying = actor.may_read(FieldClass.IDENTIFYING)
    spellings = sorted(n.text for n in person.names if not n.is_primary)
    return PersonSide(
        id=person.id,
        site_code=site_codes.get(person.site_id, ""),
        household_id=person.household_id,
        given_name=record.given_name,
        father_name=record.father_name,
        family_name=record.family_name,
        other_spellings=spellings,
        sex=record.sex,
        birth_date=record.birth_date,
        birth_place=record.birth_place,
        nationality=record.nationality,
        document_number=record.document_number if identifying else None,
        phone=record.phone if identifying else None,
        merged_into_id=person.merged_into_id,
    )


def _site_codes(uow: UnitOfWork) -> dict[uuid.UUID, str]:
    return {site: code for site, code in uow.session.execute(select(Site.id, Site.code)).tuples()}


def _pairs(
    uow: UnitOfWork, pairs: list[CandidatePair], *, actor: Actor, limit: int, opened: bool = False
) -> list[PairRead]:
    persons = persons_by_id(uow, [p.person_a_id for p in pairs] + [p.person_b_id for p in pairs])
    codes = _site_codes(uow)
    out: list[PairRead] = []
    for pair in pairs:
        a, b = persons.get(pair.person_a_id), persons.get(pair.person_b_id)
        if a is None or b is None:
            continue
        if not opened and not (actor.covers(a.site_id) and actor.covers(b.site_id)):
            continue  # lists keep to the actor's sites; a break-glass grant opens a pair by id only
        out.append(
            PairRead(
                id=pair.id,
                run_id=pair.run_id,
                band=pair.band,
                status=pair.status,
                probability=pair.probability,
                match_weight=pair.match_weight,
                explanation=pair.explanation,
                levels={str(k): str(v) for k, v in (pair.levels or {}).items()},
                a=side(a, codes, actor=actor),
                b=side(b, codes, actor=actor),
            )
        )
        if len(out) >= limit:
            break
    return out


def list_pairs(
    uow: UnitOfWork,
    *,
    actor: Actor,
    status: PairStatus | None = PairStatus.OPEN,
    band: Band | None = None,
    run_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[PairRead]:
    """The review queue: most uncertain first within each band (probability nearest the middle
    needs a person most), near-certain band first."""
    require(actor, Permission.LINKING_REVIEW)
    with uow.acting(actor):
        stmt = select(CandidatePair)
        if status is not None:
            stmt = stmt.where(CandidatePair.status == status)
        if band is not None:
            stmt = stmt.where(CandidatePair.band == band)
        if run_id is not None:
            stmt = stmt.where(CandidatePair.run_id == run_id)
        stmt = stmt.order_by(CandidatePair.band, CandidatePair.probability.desc(), CandidatePair.id)
        pairs = list(uow.session.scalars(stmt.limit(MAX_PAGE * 10)))
        return _pairs(uow, pairs, actor=actor, limit=limit)


def get_pair(uow: UnitOfWork, pair_id: uuid.UUID, *, actor: Actor) -> PairRead:
    require(actor, Permission.LINKING_REVIEW)
    with uow.acting(actor):
        pair = get_pair_or_raise(uow, pair_id, actor=actor)
        return _pairs(uow, [pair], actor=actor, limit=1, opened=True)[0]


def _merge(record: LinkMerge) -> MergeRead:
    rows = (record.snapshot or {}).get("rows", {})
    return MergeRead(
        id=record.id,
        survivor_id=record.survivor_id,
        merged_id=record.merged_id,
        merged_at=record.merged_at,
        merged_by=record.merged_by,
        reason=record.reason,
        moved={k: len(v) for k, v in rows.items()},
        undone_at=record.undone_at,
        undone_by=record.undone_by,
        undo_reason=record.undo_reason,
    )


def list_merges(uow: UnitOfWork, *, actor: Actor, limit: int = 200) -> list[MergeRead]:
    require(actor, Permission.LINKING_REVIEW)
    with uow.acting(actor):
        records = list(
            uow.session.scalars(select(LinkMerge).order_by(LinkMerge.merged_at.desc()).limit(MAX_PAGE))
        )
        sites = {
            person: site
            for person, site in uow.session.execute(
                select(Person.id, Person.site_id).where(
                    Person.id.in_([r.survivor_id for r in records] + [r.merged_id for r in records])
                )
            ).tuples()
        }
        visible = [
            r
            for r in records
            if all(p in sites and actor.covers(sites[p]) for p in (r.survivor_id, r.merged_id))
        ]
        return [_merge(r) for r in visible[:limit]]
