"""Registry API: households, persons, sites, consents, history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from safepassage.api.deps import Allowed, ContainerDep, UowDep
from safepassage.linking.duplicates import possible_duplicates
from safepassage.linking.schemas import RegisteredHousehold
from safepassage.registry import queries, schemas, services
from safepassage.registry.codes import EvacuationCategory, Intention, SpecificNeed
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import FieldProblem, Invalid

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Actor, Depends(Allowed(Permission.REGISTRY_READ))]
Writer = Annotated[Actor, Depends(Allowed(Permission.REGISTRY_WRITE))]
SiteManager = Annotated[Actor, Depends(Allowed(Permission.SITE_MANAGE))]
AnyUser = Annotated[Actor, Depends(Allowed(Permission.AUTHENTICATED))]
HistoryReader = Annotated[Actor, Depends(Allowed(Permission.HISTORY_READ))]
ProtectedReader = Annotated[Actor, Depends(Allowed(Permission.PROTECTED_READ))]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]


class Created(BaseModel):
    id: uuid.UUID


# --- households ------------------------------------------------------------------------------------


@router.post("/households", status_code=201, tags=["households"])
def register_household(
    cmd: schemas.HouseholdCreate,
    uow: UowDep,
    container: ContainerDep,
    actor: Writer,
    check_duplicates: Annotated[
        bool,
        Query(
            description="Check the members against the registry (possible_duplicates). A program "
            "loading many households may say false: the batch linking run compares them later."
        ),
    ] = True,
) -> RegisteredHousehold | schemas.HouseholdRead:
    """Register a whole household in one request; ``possible_duplicates`` (linking) is added when
    a member may duplicate a registered person, ``duplicates_checked: false`` when they were not
    checked (asked not to, or the index is still being built: a registration never waits for it).
    Honours ``Idempotency-Key``."""
    # the household as written: no second transaction to read back what this one just wrote
    read = services.register_household_returning(uow, cmd, actor=actor)
    if not check_duplicates:
        return RegisteredHousehold(**read.model_dump(), duplicates_checked=False)
    found = possible_duplicates(uow, [m.id for m in read.members], actor=actor, new_uow=container.uow)
    if found is None:
        return RegisteredHousehold(**read.model_dump(), duplicates_checked=False)
    return RegisteredHousehold(**read.model_dump(), possible_duplicates=found) if found else read


@router.get("/households", tags=["households"])
def list_households(
    uow: UowDep,
    actor: Reader,
    site_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit | None = None,
    include_closed: bool = False,
) -> schemas.Page[schemas.HouseholdRead]:
    return queries.list_households(
        uow, actor=actor, site_id=site_id, cursor=cursor, limit=limit, include_closed=include_closed
    )


@router.get("/households/{household_id}", tags=["households"])
def get_household(household_id: uuid.UUID, uow: UowDep, actor: Reader) -> schemas.HouseholdRead:
    return queries.get_household(uow, household_id, actor=actor)


@router.post("/households/{household_id}/persons", status_code=201, tags=["households"])
def add_person(
    household_id: uuid.UUID, cmd: schemas.PersonCreate, uow: UowDep, actor: Writer
) -> schemas.PersonRead:
    person_id = services.add_person(uow, household_id, cmd, actor=actor)
    return queries.get_person(uow, person_id, actor=actor)


@router.post("/households/{household_id}/members", tags=["households"])
def add_member(
    household_id: uuid.UUID, cmd: schemas.MemberAdd, uow: UowDep, actor: Writer
) -> schemas.HouseholdRead:
    services.add_member(uow, household_id, cmd, actor=actor)
    return queries.get_household(uow, household_id, actor=actor)


@router.post("/households/{household_id}/members/{person_id}/remove", tags=["households"])
def remove_member(
    household_id: uuid.UUID, person_id: uuid.UUID, cmd: schemas.MemberRemove, uow: UowDep, actor: Writer
) -> Created:
    """Take a member out; they head a household of their own (returned)."""
    return Created(id=services.remove_member(uow, household_id, person_id, cmd, actor=actor))


@router.post("/households/{household_id}/head", tags=["households"])
def change_head(
    household_id: uuid.UUID, cmd: schemas.HeadChange, uow: UowDep, actor: Writer
) -> schemas.HouseholdRead:
    services.change_head(uow, household_id, cmd, actor=actor)
    return queries.get_household(uow, household_id, actor=actor)


@router.post("/households/{household_id}/split", status_code=201, tags=["households"])
def split_household(
    household_id: uuid.UUID, cmd: schemas.HouseholdSplit, uow: UowDep, actor: Writer
) -> Created:
    return Created(id=services.split_household(uow, household_id, cmd, actor=actor))


@router.post("/households/{household_id}/merge", tags=["households"])
def merge_households(
    household_id: uuid.UUID, cmd: schemas.HouseholdMerge, uow: UowDep, actor: Writer
) -> schemas.HouseholdRead:
    services.merge_households(uow, household_id, cmd, actor=actor)
    return queries.get_household(uow, household_id, actor=actor)


@router.get("/households/{household_id}/history", tags=["households"])
def household_history(household_id: uuid.UUID, uow: UowDep, actor: HistoryReader) -> list[schemas.ChangeRead]:
    return queries.history(uow, household_id, actor=actor)


# --- persons ---------------------------------------------------------------------------------------


@router.get("/persons", tags=["persons"])
def list_persons(
    uow: UowDep,
    actor: Reader,
    q: Annotated[str | None, Query(description="Name in any script, document number or phone")] = None,
    name: str | None = None,
    document: str | None = None,
    phone: str | None = None,
    site_id: uuid.UUID | None = None,
    category: EvacuationCategory | None = None,
    intention: Intention | None = None,
    need: Annotated[list[SpecificNeed] | None, Query()] = None,
    household_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit | None = None,
) -> schemas.Page[schemas.PersonSummary]:
    """List and search persons. A name typed in one script finds its spellings in the others."""
    f = queries.PersonFilter(
        q=q,
        name=name,
        document=document,
        phone=phone,
        site_id=site_id,
        category=category,
        intention=intention,
        needs=list(need or []),
        household_id=household_id,
    )
    return queries.list_persons(uow, f, actor=actor, cursor=cursor, limit=limit)


@router.get("/persons/{person_id}", tags=["persons"])
def get_person(
    person_id: uuid.UUID,
    uow: UowDep,
    actor: Reader,
    include: Annotated[
        str | None,
        Query(
            description="Refused with 'protection': protection attributes open through "
            "POST /persons/{id}/protection/open, their purpose in the body."
        ),
    ] = None,
    purpose: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> schemas.PersonRead:
    """The person, without protection attributes (``protection`` is null)."""
    if include == "protection" or purpose is not None:
        raise Invalid(
            "protection attributes open through POST /api/v1/persons/{id}/protection/open",
            problems=[
                FieldProblem(
                    "include" if include == "protection" else "purpose",
                    "send the purpose in the body of POST /api/v1/persons/{id}/protection/open: an "
                    "address, and the purpose in it, is written to logs and browser histories",
                )
            ],
        )
    return queries.get_person(uow, person_id, actor=actor)


class ProtectionOpen(BaseModel):
    purpose: str = Field(max_length=300, description="Why they are opened; recorded in the audit trail.")


@router.post("/persons/{person_id}/protection/open", tags=["persons"])
def open_protection(
    person_id: uuid.UUID, body: ProtectionOpen, uow: UowDep, actor: ProtectedReader
) -> schemas.PersonRead:
    """The person with the protection attributes, opened for the stated purpose (audited; a
    shredded value reads ``{"state": "shredded"}``). A POST, so the purpose never travels in an
    address; its answer is never kept for an Idempotency-Key replay."""
    return queries.get_person(uow, person_id, actor=actor, include_protection=True, purpose=body.purpose)


@router.patch("/persons/{person_id}", tags=["persons"])
def update_person(
    person_id: uuid.UUID, cmd: schemas.PersonUpdate, uow: UowDep, actor: Writer
) -> schemas.PersonRead:
    services.update_person(uow, person_id, cmd, actor=actor)
    return queries.get_person(uow, person_id, actor=actor)


@router.post("/persons/{person_id}/spellings", status_code=201, tags=["persons"])
def add_spelling(
    person_id: uuid.UUID, cmd: schemas.SpellingCreate, uow: UowDep, actor: Writer
) -> schemas.PersonRead:
    services.add_spelling(uow, person_id, cmd, actor=actor)
    return queries.get_person(uow, person_id, actor=actor)


@router.post("/persons/{person_id}/documents", status_code=201, tags=["persons"])
def add_document(person_id: uuid.UUID, cmd: schemas.DocumentCreate, uow: UowDep, actor: Writer) -> Created:
    return Created(id=services.add_document(uow, person_id, cmd, actor=actor))


@router.post("/persons/{person_id}/phones", status_code=201, tags=["persons"])
def add_phone(person_id: uuid.UUID, cmd: schemas.PhoneCreate, uow: UowDep, actor: Writer) -> dict[str, str]:
    return {"e164": services.add_phone(uow, person_id, cmd, actor=actor)}


@router.post("/persons/{person_id}/intentions", status_code=201, tags=["persons"])
def state_intention(
    person_id: uuid.UUID, cmd: schemas.IntentionCreate, uow: UowDep, actor: Writer
) -> schemas.PersonRead:
    services.state_intention(uow, person_id, cmd, actor=actor)
    return queries.get_person(uow, person_id, actor=actor)


@router.post("/persons/{person_id}/consents", status_code=201, tags=["consents"])
def record_consent(person_id: uuid.UUID, cmd: schemas.ConsentCreate, uow: UowDep, actor: Writer) -> Created:
    return Created(id=services.record_consent(uow, person_id, cmd, actor=actor))


@router.get("/persons/{person_id}/consents", tags=["consents"])
def consents(person_id: uuid.UUID, uow: UowDep, actor: Reader) -> list[schemas.ConsentState]:
    return queries.get_person(uow, person_id, actor=actor).consent_state


@router.post("/persons/{person_id}/check-in", tags=["sites"], status_code=204)
def check_in(person_id: uuid.UUID, cmd: schemas.CheckIn, uow: UowDep, actor: Writer) -> Response:
    services.check_in(uow, person_id, cmd, actor=actor)
    return Response(status_code=204)


@router.post("/persons/{person_id}/check-out", tags=["sites"], status_code=204)
def check_out(person_id: uuid.UUID, cmd: schemas.CheckOut, uow: UowDep, actor: Writer) -> Response:
    services.check_out(uow, person_id, cmd, actor=actor)
    return Response(status_code=204)


@router.get("/persons/{person_id}/history", tags=["persons"])
def person_history(person_id: uuid.UUID, uow: UowDep, actor: HistoryReader) -> list[schemas.ChangeRead]:
    return queries.history(uow, person_id, actor=actor)


# --- sites -----------------------------------------------------------------------------------------


@router.post("/sites", status_code=201, tags=["sites"])
def create_site(cmd: schemas.SiteCreate, uow: UowDep, actor: SiteManager) -> schemas.SiteRead:
    site_id = services.create_site(uow, cmd, actor=actor)
    return queries.get_site(uow, site_id, actor=actor)


@router.get("/sites", tags=["sites"])
def list_sites(uow: UowDep, actor: AnyUser) -> list[schemas.SiteRead]:
    return queries.list_sites(uow, actor=actor)


@router.get("/sites/{site_id}", tags=["sites"])
def get_site(site_id: uuid.UUID, uow: UowDep, actor: AnyUser) -> schemas.SiteRead:
    return queries.get_site(uow, site_id, actor=actor)


@router.patch("/sites/{site_id}", tags=["sites"])
def update_site(
    site_id: uuid.UUID, cmd: schemas.SiteUpdate, uow: UowDep, actor: SiteManager
) -> schemas.SiteRead:
    services.update_site(uow, site_id, cmd, actor=actor)
    return queries.get_site(uow, site_id, actor=actor)
