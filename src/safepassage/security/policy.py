"""The access policy: which role may do what. Every service asks here; no route decides by itself.

Issue 3 extends this with site scope and field classes; the shape stays: a permission per use case,
a set of permissions per role, ``require(actor, permission)`` at the top of every service.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from safepassage.shared.errors import Forbidden


class Role(StrEnum):
    REGISTRATION_CLERK = "registration_clerk"
    CASEWORKER = "caseworker"
    MOVEMENT_PLANNER = "movement_planner"
    STATUS_OFFICER = "status_officer"
    PLACEMENT_OFFICER = "placement_officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


class Permission(StrEnum):
    REGISTRY_READ = "registry.read"
    REGISTRY_WRITE = "registry.write"
    REGISTRY_IMPORT = "registry.import"
    REGISTRY_EXPORT = "registry.export"
    PROTECTED_READ = "registry.protected.read"
    PROTECTED_WRITE = "registry.protected.write"
    SITE_MANAGE = "sites.manage"
    HISTORY_READ = "history.read"
    USER_MANAGE = "users.manage"
    AUTHENTICATED = "authenticated"


_READ = {Permission.AUTHENTICATED, Permission.REGISTRY_READ, Permission.HISTORY_READ}
_WRITE = _READ | {Permission.REGISTRY_WRITE}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.REGISTRATION_CLERK: frozenset(_WRITE | {Permission.REGISTRY_IMPORT, Permission.PROTECTED_WRITE}),
    Role.CASEWORKER: frozenset(_WRITE | {Permission.PROTECTED_READ, Permission.PROTECTED_WRITE}),
    Role.MOVEMENT_PLANNER: frozenset(_READ),
    Role.STATUS_OFFICER: frozenset(_READ | {Permission.PROTECTED_READ}),
    Role.PLACEMENT_OFFICER: frozenset(_READ),
    Role.SUPERVISOR: frozenset(
        _WRITE
        | {
            Permission.REGISTRY_IMPORT,
            Permission.REGISTRY_EXPORT,
            Permission.PROTECTED_READ,
            Permission.PROTECTED_WRITE,
            Permission.SITE_MANAGE,
        }
    ),
    Role.AUDITOR: frozenset({Permission.AUTHENTICATED, Permission.HISTORY_READ}),
    Role.ADMINISTRATOR: frozenset({Permission.AUTHENTICATED, Permission.USER_MANAGE, Permission.SITE_MANAGE}),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the system itself (migrations, the demo loader)."""

    username: str
    role: Role
    user_id: uuid.UUID | None = None

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]


SYSTEM = Actor(username="system", role=Role.SUPERVISOR)


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise Forbidden(f"your role ({actor.role.value}) does not allow {permission.value}")
