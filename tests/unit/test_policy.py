"""The policy module's tables agree with each other and with docs/security.md."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from safepassage.security.policy import (
    FIELD_ACCESS,
    GRANTS,
    SYSTEM,
    Access,
    Actor,
    FieldClass,
    Permission,
    Role,
    require_record,
    require_site,
)
from safepassage.shared.errors import Forbidden, NotFound

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"


@pytest.mark.parametrize("role", list(Role))
def test_field_access_and_permissions_say_the_same(role):
    grants, access = GRANTS[role], FIELD_ACCESS[role]
    assert (Permission.PROTECTED_READ in grants) == (
        access[FieldClass.PROTECTED] in (Access.READ, Access.WRITE)
    )
    assert (Permission.PROTECTED_WRITE in grants) == (
        access[FieldClass.PROTECTED] in (Access.APPEND, Access.WRITE)
    )
    assert (Permission.IDENTIFYING_READ in grants) == (access[FieldClass.IDENTIFYING] is not Access.NONE)
    assert (Permission.REGISTRY_READ in grants) == (access[FieldClass.ORDINARY] is not Access.NONE)


def test_a_clerk_records_protected_details_without_reading_them():
    clerk = Actor(username="c", role=Role.REGISTRATION_CLERK)
    assert clerk.may_write(FieldClass.PROTECTED) and not clerk.may_read(FieldClass.PROTECTED)


def test_token_scopes_narrow_and_never_widen():
    caseworker = Actor(username="c", role=Role.CASEWORKER, scopes=frozenset({Permission.REGISTRY_READ}))
    assert caseworker.can(Permission.REGISTRY_READ) and not caseworker.can(Permission.REGISTRY_WRITE)
    assert caseworker.access(FieldClass.PROTECTED) is Access.NONE
    assert caseworker.access(FieldClass.IDENTIFYING) is Access.NONE
    planner = Actor(username="p", role=Role.MOVEMENT_PLANNER, scopes=frozenset({Permission.REGISTRY_WRITE}))
    assert not planner.can(Permission.REGISTRY_WRITE)  # not the role's to give


def test_scope_is_deny_by_default_and_break_glass_opens_one_record():
    site, other, record = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    nobody = Actor(username="n", role=Role.CASEWORKER)
    with pytest.raises(NotFound):
        require_record(nobody, site, record, what="person")
    with pytest.raises(Forbidden):
        require_site(nobody, site)
    glass = Actor(
        username="s", role=Role.SUPERVISOR, site_ids=frozenset({site}), granted_records=frozenset({record})
    )
    require_record(glass, other, record, what="person")
    with pytest.raises(NotFound):
        require_record(glass, other, uuid.uuid4(), what="person")
    with pytest.raises(Forbidden):
        require_site(glass, other)  # a grant opens a record, never a site
    require_site(SYSTEM, other)


def test_the_roles_matrix_in_the_docs_is_the_policy():
    text = DOCS.read_text()
    header = "| permission | " + " | ".join(r.value for r in Role) + " |"
    assert header in text, "docs/security.md: the permission table's header names every role in order"
    for permission in Permission:
        cells = " | ".join("✓" if permission in GRANTS[r] else " " for r in Role)
        assert f"| `{permission.value}` | {cells} |" in text, f"docs/security.md: row {permission.value}"
    for field_class in FieldClass:
        cells = " | ".join(FIELD_ACCESS[r][field_class].value for r in Role)
        assert f"| {field_class.value} | {cells} |" in text, f"docs/security.md: row {field_class.value}"
