"""Household composition: head, members, split and merge. A household has exactly one head at any time."""

from __future__ import annotations

import uuid

from safepassage.registry import schemas
from safepassage.registry.codes import (
    HouseholdStatus,
    Relationship,
)
from safepassage.registry.models import (
    Household,
)
from safepassage.registry.services.lookups import get_household_or_raise, get_person_or_raise
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import Conflict, FieldProblem, Invalid
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

# ---------------------------------------------------------------------------------------------------
# Household composition


def change_head(uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.HeadChange, *, actor: Actor) -> None:
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        household = get_household_or_raise(uow, household_id, actor=actor)
        new_head = get_person_or_raise(uow, cmd.new_head_id, actor=actor)
        household.change_head(new_head, former_head_becomes=cmd.former_head_becomes)
        household.check_one_head()
        household.updated_at = uow.now()
        uow.commit()


def add_member(uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.MemberAdd, *, actor: Actor) -> None:
    """Move a registered person into this household. A head leaving a household of several must
    first hand the headship to another member."""
    require(actor, Permission.REGISTRY_WRITE)
    with uow.acting(actor):
        household = get_household_or_raise(uow, household_id, actor=actor)
        person = get_person_or_raise(uow, cmd.person_id, actor=actor)
        if person.household_id == household.id:
            raise Conflict(say("this person is already a member of the household"))
        previous = person.household
        if previous is not None:
            previous.remove_member(person)
            previous.updated_at = uow.now()
        household.add_member(person, cmd.relationship_to_head)
        household.check_one_head()
        household.updated_at = uow.now()
        uow.commit()


def remove_member(
    uow: UnitOfWork, household_id: uuid.UUID, person_id: uuid.UUID, cmd: schemas.MemberRemove, *, actor: Actor
) -> uuid.UUID:
    """Take a person out of a household; they become the head of a household of their own, which is
    returned. Removing the head requires naming another member as the new head."""
    return split_household(
        uow,
        household_id,
        schemas.HouseholdSplit(
            person_ids=[person_id], new_head_id=person_id, remaining_head_id=cmd.new_head_id
        ),
        actor=actor,
    )


def split_household(
    uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.HouseholdSplit, *, actor: Actor
) -> uuid.UUID:
    require(actor, Permission.REGISTRY_WRITE)
    if cmd.new_head_id not in cmd.person_ids:
        raise Invalid(
            say("the new household's head must be one of the persons who leave"),
            problems=[FieldProblem("new_head_id", say("not among person_ids"))],
        )
    with uow.acting(actor):
        household = get_household_or_raise(uow, household_id, actor=actor)
        member_ids = {m.id for m in household.members}
        leaving = [m for m in household.members if m.id in set(cmd.person_ids)]
        unknown = set(cmd.person_ids) - member_ids
        if unknown:
            raise Invalid(
                say("some persons are not members of this household"),
                problems=[
                    FieldProblem(
                        "person_ids", say("not members: %(ids)s", ids=", ".join(map(str, sorted(unknown))))
                    )
                ],
            )
        staying = [m for m in household.members if m.id not in set(cmd.person_ids)]
        head = household.head
        if head is not None and head in leaving and staying:
            if cmd.remaining_head_id is None:
                raise Invalid(
                    say("the head is leaving: name the head of those who stay"),
                    problems=[FieldProblem("remaining_head_id", say("required when the head leaves"))],
                )
            remaining = next((m for m in staying if m.id == cmd.remaining_head_id), None)
            if remaining is None:
                raise Invalid(
                    say("the remaining head must be a member who stays"),
                    problems=[FieldProblem("remaining_head_id", say("not among those who stay"))],
                )
            remaining.relationship_to_head = Relationship.HEAD
            head.relationship_to_head = Relationship.OTHER_RELATIVE
        now = uow.now()
        new = Household(
            site_id=household.site_id, status=HouseholdStatus.ACTIVE, created_at=now, updated_at=now
        )
        uow.session.add(new)
        for person in leaving:
            household.members.remove(person)
            new.members.append(person)
            person.relationship_to_head = (
                Relationship.HEAD if person.id == cmd.new_head_id else Relationship.OTHER_RELATIVE
            )
        if not household.members:
            household.status = HouseholdStatus.DISSOLVED
        household.updated_at = now
        household.check_one_head()
        new.check_one_head()
        uow.commit()
        return new.id


def merge_households(
    uow: UnitOfWork, household_id: uuid.UUID, cmd: schemas.HouseholdMerge, *, actor: Actor
) -> None:
    """The other household's members join this one; its head becomes a member with the given
    relationship; the other household is closed as merged (and kept, for its history)."""
    require(actor, Permission.REGISTRY_WRITE)
    if cmd.other_household_id == household_id:
        raise Invalid(
            say("a household cannot merge with itself"),
            problems=[FieldProblem("other_household_id", say("same household"))],
        )
    with uow.acting(actor):
        household = get_household_or_raise(uow, household_id, actor=actor)
        other = get_household_or_raise(uow, cmd.other_household_id, actor=actor)
        for h in (household, other):
            if h.status != HouseholdStatus.ACTIVE:
                raise Conflict(say("household %(id)s is %(status)s, not active", id=h.id, status=h.status))
        if cmd.relationship_of_other_head == Relationship.HEAD:
            raise Invalid(
                say("this household keeps its head; the other head needs another relationship"),
                problems=[FieldProblem("relationship_of_other_head", say("cannot be head"))],
            )
        now = uow.now()
        for person in list(other.members):
            if person.relationship_to_head == Relationship.HEAD:
                person.relationship_to_head = cmd.relationship_of_other_head
            other.members.remove(person)
            household.members.append(person)
        other.status = HouseholdStatus.MERGED
        other.merged_into_id = household.id
        other.updated_at = now
        household.updated_at = now
        household.check_one_head()
        uow.commit()
