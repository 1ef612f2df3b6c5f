"""The auditor's page: the audit trail, newest first, filtered; and, on request, the verification of
the whole chain. Read-only and thin: the rules live in ``security.audit``. Entries hold no protected
value, so the page shows none."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from safepassage.security import audit
from safepassage.security.audit import queries
from safepassage.security.policy import Actor, Permission
from safepassage.shared.errors import DomainError
from safepassage.web.render import PageRoute, render
from safepassage.web.security import Page, check_csrf, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

Auditor = Annotated[Actor, Depends(Page(Permission.AUDIT_READ))]


def _since(value: str) -> dt.datetime | None:
    """A date (``2026-03-01``) or time typed in the form, read as UTC; None if empty or unreadable."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed is not None and parsed.tzinfo is None else parsed


@router.get("/audit")
def audit_trail(request: Request, actor: Auditor) -> Response:
    container = get_container(request)
    params = request.query_params
    user = (params.get("actor") or "").strip()
    action = (params.get("action") or "").strip()
    since = (params.get("since") or "").strip()
    flagged = params.get("flagged") == "1"
    filters = {"actor": user, "action": action, "since": since, "flagged": flagged}
    problem = None
    try:
        page = queries.list_entries(
            container.uow(),
            actor=actor,
            username=user or None,
            action=action or None,
            flagged=True if flagged else None,
            since=_since(since),
            cursor=params.get("cursor"),
        )
    except DomainError as exc:
        problem = exc.message
        page = queries.AuditPage(items=[], next_cursor=None)
    report = None
    if params.get("verify") == "1":
        try:
            keys = audit.public_keys(container.settings)
        except FileNotFoundError:
            problem = "the audit trail has no signing key yet"
        else:
            report = queries.VerifyRead.of(
                queries.verify(
                    container.uow(),
                    keys,
                    actor=actor,
                    checkpoint_file=audit.checkpoint_file(container.settings),
                )
            )
    next_params = {k: v for k, v in params.items() if k not in ("cursor", "verify")}
    return render(
        request,
        "audit.html",
        page=page,
        filters=filters,
        report=report,
        problem=problem,
        next_params={**next_params, "cursor": page.next_cursor} if page.next_cursor else None,
    )
