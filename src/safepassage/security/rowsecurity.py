"""Row-level security, the second wall: every transaction tells PostgreSQL whose it is.

At the start of each transaction the session's actor scope (``UnitOfWork.acting(actor)`` puts it in
``session.info["actor_scope"]``) becomes three transaction-local settings that the policies of
migration 0004 read: ``safepassage.all_sites`` (``on`` for the system and the server's operator),
``safepassage.site_ids`` and ``safepassage.record_ids`` (break-glass grants). A session with no scope
sets nothing, and sees no registry row. The application's own checks (``security.policy``) come
first; these policies catch what a bug in them would let through. SQLite has no such wall.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session, SessionTransaction

_SET = text(
    "SELECT set_config('safepassage.all_sites', :all_sites, true),"
    " set_config('safepassage.site_ids', :site_ids, true),"
    " set_config('safepassage.record_ids', :record_ids, true)"
)


def scope_settings(scope: Any) -> dict[str, str]:
    """The settings for a scope (anything with ``all_sites``, ``site_ids``, ``record_ids``)."""
    if scope is None:
        return {"all_sites": "off", "site_ids": "", "record_ids": ""}
    return {
        "all_sites": "on" if scope.all_sites else "off",
        "site_ids": ",".join(sorted(str(s) for s in scope.site_ids)),
        "record_ids": ",".join(sorted(str(r) for r in scope.record_ids)),
    }


@event.listens_for(Session, "after_begin")
def _hand_over_scope(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.execute(_SET, scope_settings(session.info.get("actor_scope")))
