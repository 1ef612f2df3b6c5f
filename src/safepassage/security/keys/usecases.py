"""Key use cases, each checked against the policy and audited in its own transaction: status, a new
site key version, KEK rotation, and the shred (a supervisor plus a second, different supervisor)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from safepassage.security.keys.models import KeyState, SiteKey
from safepassage.security.keys.service import FieldKeys, Rewrapped, field_keys
from safepassage.security.policy import Actor, Permission, require
from safepassage.shared.errors import FieldProblem, Forbidden, Invalid
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

MIN_REASON = 10


@dataclass(frozen=True)
class KeyRow:
    site_id: uuid.UUID
    version: int
    state: KeyState
    kek_id: str
    has_file: bool


@dataclass(frozen=True)
class KeyStatus:
    kek_id: str
    kek_source: str
    previous_kek_ids: list[str]
    keystore: str
    keys: list[KeyRow]
    unreferenced_files: list[str]  # files no row names: a rolled-back first write, or debris

    @property
    def stale_wraps(self) -> int:
        """Key files still wrapped by a previous KEK (``keys rotate-kek --rewrap-only`` finishes)."""
        return sum(1 for k in self.keys if k.kek_id != self.kek_id and k.state != KeyState.SHREDDED)


@dataclass(frozen=True)
class ShredReport:
    site_id: uuid.UUID
    versions: list[int]
    files_destroyed: int


def key_status(uow: UnitOfWork, *, actor: Actor) -> KeyStatus:
    require(actor, Permission.KEY_MANAGE)
    with uow:
        keys = field_keys(uow.session)
        ring = keys.ring
        rows = list(uow.session.scalars(select(SiteKey).order_by(SiteKey.site_id, SiteKey.version)))
        files = {(f.site_id, f.ref) for f in keys.store.files()}
        referenced = {(r.site_id, r.key_ref) for r in rows}
        return KeyStatus(
            kek_id=ring.current.key_id,
            kek_source=getattr(ring.current, "source", type(ring.current).__name__),
            previous_kek_ids=[k.key_id for k in ring.previous],
            keystore=str(keys.store.root),
            keys=[
                KeyRow(r.site_id, r.version, r.state, r.kek_id, (r.site_id, r.key_ref) in files) for r in rows
            ],
            unreferenced_files=sorted(f"{s}/{ref}" for s, ref in files - referenced),
        )


def rotate_site_key(uow: UnitOfWork, site_id: uuid.UUID, *, actor: Actor) -> int:
    """A new data key version for the site: new values are sealed under it; older versions keep
    opening what they sealed (``registry.protection.reseal_site`` moves those values over)."""
    require(actor, Permission.KEY_MANAGE)
    with uow.acting(actor):
        version, _ = field_keys(uow.session).new_version(
            uow.session, site_id, by=actor.username, now=uow.now()
        )
        uow.audit(
            "keys.rotate_site",
            entity="site",
            entity_id=site_id,
            site_id=site_id,
            details={"version": version},
        )
        uow.commit()
        return version


def rotate_kek(uow: UnitOfWork, *, actor: Actor, new_key: bool, destroy_previous: bool) -> Rewrapped:
    """Re-wrap every site key file under the current KEK; with ``new_key``, first make a new KEK
    file current (the old one stays accepted until every file is re-wrapped)."""
    require(actor, Permission.KEY_MANAGE)
    with uow.acting(actor):
        keys = field_keys(uow.session)
        previous = keys.ring.current.key_id
        if new_key:
            keys.new_kek_file()
        result = keys.rewrap_all(uow.session)
        destroyed = keys.destroy_retired_kek_files() if destroy_previous else 0
        uow.audit(
            "keys.rotate_kek",
            details={
                "previous_kek": previous,
                "kek": result.kek_id,
                "rewrapped": result.rewrapped,
                "retired_kek_files_destroyed": destroyed,
            },
        )
        uow.commit()
        return result


def shred_site(
    uow: UnitOfWork, site_id: uuid.UUID, *, actor: Actor, approver: Actor, reason: str
) -> ShredReport:
    """Destroy every data key version of the site. Both ``actor`` and ``approver`` hold
    ``keys.shred`` and are different accounts (the entry point authenticated both). The versions are
    marked shredded and audited in one transaction; the key files are destroyed after it commits,
    so from the commit on no process opens a value of the site, and a crash before the files are
    gone is finished by running the shred again."""
    require(actor, Permission.SHRED)
    if not approver.can(Permission.SHRED):
        raise Forbidden(
            say("the second approver's role (%(role)s) may not approve a shred", role=approver.role)
        )
    if approver.username == actor.username or (
        actor.user_id is not None and approver.user_id == actor.user_id
    ):
        raise Invalid(
            say("a shred needs a second, different approver"),
            problems=[FieldProblem("approver", say("must be another supervisor"))],
        )
    for who in (actor, approver):
        if not who.covers(site_id):
            raise Forbidden(
                say("%(name)s does not work for this site: both supervisors must", name=who.username)
            )
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise Invalid(
            say("say why the site's protected data must be destroyed"),
            problems=[FieldProblem("reason", say("at least %(n)s characters", n=MIN_REASON))],
        )
    with uow.acting(actor):
        keys: FieldKeys = field_keys(uow.session)
        versions = keys.mark_shredded(
            uow.session,
            site_id,
            by=actor.username,
            approved_by=approver.username,
            reason=reason,
            now=uow.now(),
        )
        uow.audit(
            "site.shred",
            entity="site",
            entity_id=site_id,
            site_id=site_id,
            purpose=reason,
            details={"versions": versions, "approved_by": approver.username},
        )
        uow.commit()
        destroyed = keys.destroy_shredded(uow.session, site_id)
        return ShredReport(site_id=site_id, versions=versions, files_destroyed=destroyed)
