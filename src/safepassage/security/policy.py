"""The access policy, in one place: which role may do what, to which class of field, at which sites.

Every service asks here; no route decides by itself. Three questions, three tables:

- **Use cases**: ``GRANTS`` maps each role to the permissions it holds (``require(actor, permission)`` at
  the top of every service; every route and page declares the permission it needs).
- **Field classes**: ``FIELD_ACCESS`` maps each role to what it may do with each class of field
  (ordinary, identifying, protected). ``require_field(actor, FieldClass.PROTECTED, Access.READ)``.
- **Site scope**: an actor works for a set of sites and sees and changes only records of those sites.
  Deny by default: an account with no site sees nothing. A supervisor's break-glass grant opens one
  out-of-scope record for a short time (``Actor.granted_records``).

An API token narrows its user's permissions to the token's scopes (``Actor.scopes``); it never widens
them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from safepassage.shared.errors import Forbidden, NotFound
from safepassage.shared.i18n import say


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
    IDENTIFYING_READ = "registry.identifying.read"
    HISTORY_READ = "history.read"
    SITE_MANAGE = "sites.manage"
    BREAK_GLASS = "records.break_glass"
    APPROVE = "requests.approve"
    ERASE = "records.erase"
    SHRED = "keys.shred"
    USER_MANAGE = "users.manage"
    KEY_MANAGE = "keys.manage"
    AUDIT_READ = "audit.read"
    MOVEMENTS_READ = "movements.read"  # legs, plans, accountability
    MOVEMENTS_PLAN = "movements.plan"  # propose and accept plans, manifests, boarding passes
    MOVEMENTS_MANAGE = "movements.manage"  # legs and travel groups
    MOVEMENTS_SCAN = "movements.scan"  # checkpoint scans
    PLACEMENT_READ = "placement.read"  # regions, runs, proposals, utilisation
    PLACEMENT_PLAN = "placement.plan"  # placement profiles, outcome history, runs of the engine
    PLACEMENT_DECIDE = "placement.decide"  # accept, reject or override a proposal
    REGIONS_MANAGE = "regions.manage"  # receiving regions and their capacities
    LINKING_REVIEW = "linking.review"  # the review queue: see candidate pairs, accept or reject one
    LINKING_MERGE = "linking.merge"  # batch runs, bulk acceptance of a band, merge and unmerge
    TRACING_REQUEST = "tracing.request"  # file tracing requests and read their candidates
    AUTHENTICATED = "authenticated"


class FieldClass(StrEnum):
    """How dangerous a field is if it leaks."""

    ORDINARY = "ordinary"  # names, sex, birth date, household, intention, consent, needs codes
    IDENTIFYING = "identifying"  # identity documents, phone numbers
    PROTECTED = "protected"  # religion or sect, ethnicity, protection narrative, medical detail


class Access(StrEnum):
    NONE = "none"
    READ = "read"
    APPEND = "append"  # may record, may not read back
    WRITE = "write"  # implies read


_READ = {Permission.AUTHENTICATED, Permission.REGISTRY_READ, Permission.HISTORY_READ}
_WRITE = _READ | {Permission.REGISTRY_WRITE}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.REGISTRATION_CLERK: frozenset(
        _WRITE
        | {
            Permission.REGISTRY_IMPORT,
            Permission.IDENTIFYING_READ,
            Permission.PROTECTED_WRITE,
            Permission.MOVEMENTS_READ,
            Permission.MOVEMENTS_SCAN,  # clerks staff the checkpoints
            Permission.TRACING_REQUEST,  # a relative asks at the registration desk
        }
    ),
    Role.CASEWORKER: frozenset(
        _WRITE
        | {
            Permission.IDENTIFYING_READ,
            Permission.PROTECTED_READ,
            Permission.PROTECTED_WRITE,
            Permission.LINKING_REVIEW,
            Permission.TRACING_REQUEST,
        }
    ),
    Role.MOVEMENT_PLANNER: frozenset(
        _READ
        | {
            Permission.IDENTIFYING_READ,
            Permission.MOVEMENTS_READ,
            Permission.MOVEMENTS_PLAN,
            Permission.MOVEMENTS_MANAGE,
            Permission.MOVEMENTS_SCAN,
        }
    ),
    Role.STATUS_OFFICER: frozenset(_READ | {Permission.IDENTIFYING_READ, Permission.PROTECTED_READ}),
    Role.PLACEMENT_OFFICER: frozenset(
        _READ | {Permission.PLACEMENT_READ, Permission.PLACEMENT_PLAN, Permission.PLACEMENT_DECIDE}
    ),
    Role.SUPERVISOR: frozenset(
        _WRITE
        | {
            Permission.REGISTRY_IMPORT,
            Permission.REGISTRY_EXPORT,
            Permission.IDENTIFYING_READ,
            Permission.PROTECTED_READ,
            Permission.PROTECTED_WRITE,
            Permission.SITE_MANAGE,
            Permission.BREAK_GLASS,
            Permission.APPROVE,
            Permission.ERASE,
            Permission.SHRED,
            Permission.MOVEMENTS_READ,
            Permission.MOVEMENTS_PLAN,
            Permission.MOVEMENTS_MANAGE,
            Permission.MOVEMENTS_SCAN,
            Permission.PLACEMENT_READ,
            Permission.PLACEMENT_PLAN,
            Permission.PLACEMENT_DECIDE,
            Permission.REGIONS_MANAGE,
            Permission.LINKING_REVIEW,
            Permission.LINKING_MERGE,
            Permission.TRACING_REQUEST,
        }
    ),
    # The auditor reads the audit trail, not the records; the administrator manages accounts and keys,
    # not the records.
    Role.AUDITOR: frozenset({Permission.AUTHENTICATED, Permission.AUDIT_READ}),
    Role.ADMINISTRATOR: frozenset(
        {Permission.AUTHENTICATED, Permission.USER_MANAGE, Permission.KEY_MANAGE, Permission.SITE_MANAGE}
    ),
}

FIELD_ACCESS: dict[Role, dict[FieldClass, Access]] = {
    Role.REGISTRATION_CLERK: {
        FieldClass.ORDINARY: Access.WRITE,
        FieldClass.IDENTIFYING: Access.WRITE,
        # A clerk records what a person declares but cannot read it back.
        FieldClass.PROTECTED: Access.APPEND,
    },
    Role.CASEWORKER: {
        FieldClass.ORDINARY: Access.WRITE,
        FieldClass.IDENTIFYING: Access.WRITE,
        FieldClass.PROTECTED: Access.WRITE,
    },
    Role.MOVEMENT_PLANNER: {
        FieldClass.ORDINARY: Access.READ,
        FieldClass.IDENTIFYING: Access.READ,  # manifests carry travel documents
        FieldClass.PROTECTED: Access.NONE,
    },
    Role.STATUS_OFFICER: {
        FieldClass.ORDINARY: Access.READ,
        FieldClass.IDENTIFYING: Access.READ,
        FieldClass.PROTECTED: Access.READ,  # refugee status turns on the protection narrative
    },
    Role.PLACEMENT_OFFICER: {
        FieldClass.ORDINARY: Access.READ,
        FieldClass.IDENTIFYING: Access.NONE,
        FieldClass.PROTECTED: Access.NONE,
    },
    Role.SUPERVISOR: {
        FieldClass.ORDINARY: Access.WRITE,
        FieldClass.IDENTIFYING: Access.WRITE,
        FieldClass.PROTECTED: Access.WRITE,
    },
    Role.AUDITOR: {fc: Access.NONE for fc in FieldClass},
    Role.ADMINISTRATOR: {fc: Access.NONE for fc in FieldClass},
}

# Roles that must sign in with a second factor (TOTP): they can open every class of field, approve
# exports and shreds, or manage accounts and keys.
SECOND_FACTOR_ROLES: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Actor:
    """Who is acting, with what, where: a signed-in user, a token, the CLI operator or the system."""

    username: str
    role: Role
    user_id: uuid.UUID | None = None
    site_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    all_sites: bool = False  # the system and the server's own operator (CLI) only
    scopes: frozenset[Permission] | None = None  # an API token's scopes; None: the role's grants
    granted_records: frozenset[uuid.UUID] = field(default_factory=frozenset)  # break-glass, unexpired
    address: str | None = None  # where the request came from, for the audit trail

    def can(self, permission: Permission) -> bool:
        if permission not in GRANTS[self.role]:
            return False
        return self.scopes is None or permission in self.scopes or permission is Permission.AUTHENTICATED

    def access(self, field_class: FieldClass) -> Access:
        granted = FIELD_ACCESS[self.role][field_class]
        if self.scopes is not None and field_class is FieldClass.PROTECTED:
            reads = granted in (Access.READ, Access.WRITE) and Permission.PROTECTED_READ in self.scopes
            writes = granted in (Access.APPEND, Access.WRITE) and Permission.PROTECTED_WRITE in self.scopes
            granted = {
                (True, True): Access.WRITE,
                (True, False): Access.READ,
                (False, True): Access.APPEND,
                (False, False): Access.NONE,
            }[(reads, writes)]
        if (
            self.scopes is not None
            and field_class is FieldClass.IDENTIFYING
            and Permission.IDENTIFYING_READ not in self.scopes
        ):
            granted = Access.NONE
        return granted

    def may_read(self, field_class: FieldClass) -> bool:
        return self.access(field_class) in (Access.READ, Access.WRITE)

    def may_write(self, field_class: FieldClass) -> bool:
        return self.access(field_class) in (Access.APPEND, Access.WRITE)

    def covers(self, site_id: uuid.UUID | None) -> bool:
        """Whether ``site_id`` is one of the actor's sites."""
        return self.all_sites or (site_id is not None and site_id in self.site_ids)

    def may_open(self, site_id: uuid.UUID | None, record_id: uuid.UUID | None = None) -> bool:
        """Whether a record of ``site_id`` (with id ``record_id``) is visible: in scope, or break-glass."""
        return self.covers(site_id) or (record_id is not None and record_id in self.granted_records)


SYSTEM = Actor(username="system", role=Role.SUPERVISOR, all_sites=True)


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise Forbidden(
            say(
                "your role (%(role)s) does not allow %(permission)s",
                role=actor.role,
                permission=permission.value,
            )
        )


def require_field(actor: Actor, field_class: FieldClass, access: Access) -> None:
    ok = actor.may_write(field_class) if access is Access.WRITE else actor.may_read(field_class)
    if not ok:
        raise Forbidden(
            say(
                "your role (%(role)s) may not %(access)s %(fields)s fields",
                role=actor.role,
                access=access.value,
                fields=field_class.value,
            )
        )


def require_site(actor: Actor, site_id: uuid.UUID | None, *, what: str = "site") -> None:
    """For acts that name a site (register there, import there): refuse sites outside the scope."""
    if not actor.covers(site_id):
        raise Forbidden(say("this %(what)s is not one of your sites", what=what))


def require_site_management(actor: Actor, site_id: uuid.UUID) -> None:
    """Changing a site (its capacity, its sessions): administrators for every site, supervisors for
    their own."""
    require(actor, Permission.SITE_MANAGE)
    if not (actor.all_sites or actor.role is Role.ADMINISTRATOR or actor.covers(site_id)):
        raise Forbidden(say("this site is not one of your sites"))


def require_record(actor: Actor, site_id: uuid.UUID | None, record_id: uuid.UUID, *, what: str) -> None:
    """For records opened by id: a record outside the scope does not exist for this actor (no hint that
    it does), unless a break-glass grant opened it."""
    if not actor.may_open(site_id, record_id):
        raise NotFound(say("%(what)s not found", what=what))
