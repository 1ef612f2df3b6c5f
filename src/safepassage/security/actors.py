"""The actor a signed-in user or a token acts as: role, sites, the token's scopes, the address."""

from __future__ import annotations

import uuid

from safepassage.security.models import User
from safepassage.security.policy import Actor, Permission, Role


def actor_of(
    user: User,
    *,
    scopes: frozenset[Permission] | None = None,
    address: str | None = None,
    granted_records: frozenset[uuid.UUID] = frozenset(),
) -> Actor:
    """``user``'s actor. Sites come from the account's ``user_sites`` rows (none: sees no record);
    ``scopes`` narrow the role when acting through a token; ``granted_records`` are the records a
    break-glass grant opened and that have not expired (filled by the entry points, which may ask
    ``security.breakglass``: see ``safepassage.sessions.with_grants``)."""
    return Actor(
        username=user.username,
        role=Role(user.role),
        user_id=user.id,
        site_ids=frozenset(s.site_id for s in user.sites),
        scopes=scopes,
        granted_records=granted_records,
        address=address,
    )
