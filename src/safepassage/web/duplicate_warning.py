"""The registration form's warning step: possible duplicates shown before a household is registered.

When the form is sent and valid, its members are checked against the registry
(``linking.duplicates``) before anything is written. If one may duplicate a registered person, the
form comes back with the candidates and the reasons, and two ways on: open the existing record
(a link), or *Register anyway*. That button sends the same form with a fingerprint of the members'
identifying fields as they were checked; registration goes ahead when the fingerprint still matches
what is sent (a clerk who corrects a name after the warning gets a new check). Plain HTML: no
JavaScript is needed. A check that fails shows nothing and never stops the registration; while the
check's index is being built (once per process, minutes at a million persons) the household is
registered unchecked, and the clerk is told so.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from safepassage.linking.duplicates import PossibleDuplicate, possible_duplicates_of_drafts
from safepassage.linking.records import draft_record
from safepassage.registry import schemas
from safepassage.security.policy import Actor
from safepassage.uow import UnitOfWork

#: the submit button of the warning step; its value is the fingerprint of what was checked
ANYWAY_FIELD = "register_anyway"

# What the check reads of a member: a change to any of these after the warning means a new check.
_IDENTIFYING = {
    "given_name",
    "father_name",
    "family_name",
    "other_spellings",
    "sex",
    "birth_date",
    "place_of_birth",
    "nationalities",
    "documents",
    "phones",
}


def fingerprint(command: schemas.HouseholdCreate) -> str:
    """A digest of the members' identifying fields, as the check saw them."""
    text = "\n".join(m.model_dump_json(include=_IDENTIFYING) for m in command.members)
    return hashlib.sha256(f"{command.site_id}\n{text}".encode()).hexdigest()[:32]


def acknowledged(sent: object, command: schemas.HouseholdCreate) -> bool:
    """The clerk saw the warning for exactly these members and chose to register anyway."""
    return isinstance(sent, str) and bool(sent) and sent == fingerprint(command)


def draft_duplicates(
    uow: UnitOfWork,
    command: schemas.HouseholdCreate,
    *,
    actor: Actor,
    source_key: str,
    new_uow: Callable[[], UnitOfWork],
) -> list[PossibleDuplicate] | None:
    """Possible duplicates of the members of ``command`` (not registered yet), in member order;
    None when the check is not ready (its index is being built: the clerk is not kept waiting)."""
    keys = [uuid.uuid4() for _ in command.members]
    drafts = {key: draft_record(str(key), m) for key, m in zip(keys, command.members, strict=True)}
    found = possible_duplicates_of_drafts(uow, drafts, actor=actor, source_key=source_key, new_uow=new_uow)
    if found is None:
        return None
    order = {key: i for i, key in enumerate(keys)}
    return sorted(found, key=lambda d: (order.get(d.of, 0), -d.probability))
