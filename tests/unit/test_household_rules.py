"""Model invariants, without a database: a household has exactly one head at any time."""

import pytest

from safepassage.registry.codes import EvacuationCategory, HouseholdStatus, Relationship
from safepassage.registry.models import Household, Person
from safepassage.shared.errors import Invalid


def person(relationship: Relationship) -> Person:
    return Person(relationship_to_head=relationship, category=EvacuationCategory.CITIZEN)


def household(*relationships: Relationship) -> tuple[Household, list[Person]]:
    h = Household(status=HouseholdStatus.ACTIVE)
    members = [person(r) for r in relationships]
    h.members = list(members)
    return h, members


def test_a_second_head_is_refused():
    h, _ = household(Relationship.HEAD)
    with pytest.raises(Invalid, match="has a head already"):
        h.add_member(person(Relationship.HEAD), Relationship.HEAD)


def test_removing_the_head_requires_naming_another():
    h, (head, child) = household(Relationship.HEAD, Relationship.CHILD)
    with pytest.raises(Invalid, match="naming another member"):
        h.remove_member(head)
    h.remove_member(head, new_head=child)
    assert h.head is child
    h.check_one_head()


def test_the_new_head_must_stay():
    h, (head, _child) = household(Relationship.HEAD, Relationship.CHILD)
    with pytest.raises(Invalid, match="another member"):
        h.remove_member(head, new_head=head)


def test_changing_head_keeps_exactly_one():
    h, (head, spouse) = household(Relationship.HEAD, Relationship.SPOUSE)
    h.change_head(spouse, former_head_becomes=Relationship.SPOUSE)
    assert h.head is spouse and head.relationship_to_head == Relationship.SPOUSE
    h.check_one_head()


def test_check_one_head_counts():
    h, _ = household(Relationship.SPOUSE, Relationship.CHILD)
    with pytest.raises(Invalid, match="would have 0"):
        h.check_one_head()


def test_last_member_leaving_dissolves_the_household():
    h, (head,) = household(Relationship.HEAD)
    h.remove_member(head)
    assert h.status == HouseholdStatus.DISSOLVED
