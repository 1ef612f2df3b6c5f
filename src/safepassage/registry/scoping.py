"""The site scope as a WHERE clause: every list, search, export and batch over records uses it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from safepassage.security.policy import Actor


def in_scope(column: Any, actor: Actor) -> ColumnElement[bool]:
    """The actor's sites as a WHERE clause on ``column`` (a site id). Deny by default: no sites, no
    rows."""
    if actor.all_sites:
        return true()
    clause: ColumnElement[bool] = column.in_(sorted(actor.site_ids))
    return clause
