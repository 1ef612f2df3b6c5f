"""Audit API, for auditors: the entries (newest first, filtered, cursor-paginated) and the chain's
verification report. Entries hold no protected value."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from safepassage.api.deps import Allowed, ContainerDep, UowDep
from safepassage.security import audit
from safepassage.security.audit import queries
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import Invalid

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Auditor = Annotated[Actor, Depends(Allowed(Permission.AUDIT_READ))]


@router.get("")
def list_audit_entries(
    uow: UowDep,
    actor: Auditor,
    user: Annotated[str | None, Query(alias="actor", description="Only this user's entries.")] = None,
    action: Annotated[
        str | None,
        Query(description="An action code or its dotted prefix (`person` matches `person.update`)."),
    ] = None,
    flagged: Annotated[bool | None, Query(description="Only flagged (or only unflagged) entries.")] = None,
    since: Annotated[
        dt.datetime | None, Query(description="Entries at or after this time (with zone).")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=queries.MAX_PAGE)] = None,
) -> queries.AuditPage:
    return queries.list_entries(
        uow,
        actor=actor,
        username=user,
        action=action,
        flagged=flagged,
        since=since,
        cursor=cursor,
        limit=limit,
    )


@router.get("/verify")
def verify_audit_chain(container: ContainerDep, uow: UowDep, actor: Auditor) -> queries.VerifyRead:
    """The whole chain checked against the public half of the server's signing key and the
    checkpoint file. An independent check runs `safepassage audit verify --public-key` elsewhere."""
    try:
        keys = audit.public_keys(container.settings)
    except FileNotFoundError:
        raise Invalid("the audit trail has no signing key yet: nothing has been appended") from None
    report = queries.verify(uow, keys, actor=actor, checkpoint_file=audit.checkpoint_file(container.settings))
    return queries.VerifyRead.of(report)
