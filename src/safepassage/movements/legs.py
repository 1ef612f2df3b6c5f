"""Legs and travel groups: the use cases that change them.

Site scope: a planner works for the legs whose origin is one of their sites. Starting boarding
freezes the leg's manifest (``movements.manifests``); cancelling, delaying or re-sizing a leg says a
re-plan is needed (``movements.planning.propose_plan`` with the reason), never re-plans silently.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from safepassage.movements import manifests
from safepassage.movements.models import BoardingPass, TransportLeg, TravelGroup, TravelGroupMember
from safepassage.movements.planner import LegStatus
from safepassage.movements.schemas import LegChange, LegCreate, LegStatusChange, TravelGroupCreate
from safepassage.registry.models import Household, Site
from safepassage.registry.services import get_household_or_raise
from safepassage.security.policy import Actor, Permission, require, require_record, require_site
from safepassage.shared.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork


def get_leg_or_raise(uow: UnitOfWork, leg_id: uuid.UUID, *, actor: Actor) -> TransportLeg:
    """A leg is visible to those who work at its origin or its destination (arrivals are scanned
    there); outside that it does not exist for them."""
    leg = uow.session.get(TransportLeg, leg_id)
    if leg is None or not (actor.covers(leg.origin_site_id) or actor.covers(leg.destination_site_id)):
        raise NotFound(say("leg %(id)s not found", id=leg_id))
    return leg


def get_leg_by_code_or_raise(uow: UnitOfWork, code: str, *, actor: Actor) -> TransportLeg:
    leg = uow.session.scalar(select(TransportLeg).where(TransportLeg.code == code))
    if leg is None:
        raise NotFound(say("leg '%(code)s' not found", code=code))
    return get_leg_or_raise(uow, leg.id, actor=actor)


def _site(uow: UnitOfWork, site_id: uuid.UUID, field: str) -> Site:
    site = uow.session.get(Site, site_id)
    if site is None:
        raise NotFound(
            say("site %(id)s does not exist", id=site_id), problems=[FieldProblem(field, say("no such site"))]
        )
    return site


def create_leg(uow: UnitOfWork, cmd: LegCreate, *, actor: Actor) -> uuid.UUID:
    require(actor, Permission.MOVEMENTS_MANAGE)
    require_site(actor, cmd.origin_site_id, what="origin site")
    with uow.acting(actor):
        _site(uow, cmd.origin_site_id, "origin_site_id")
        _site(uow, cmd.destination_site_id, "destination_site_id")
        if cmd.origin_site_id == cmd.destination_site_id:
            raise Invalid(
                say("a leg goes somewhere else"),
                problems=[FieldProblem("destination_site_id", say("same as the origin"))],
            )
        if uow.session.scalar(select(TransportLeg.id).where(TransportLeg.code == cmd.code)) is not None:
            raise Conflict(
                f"a leg '{cmd.code}' exists already", problems=[FieldProblem("code", say("already in use"))]
            )
        now = uow.now()
        leg = TransportLeg(created_at=now, updated_at=now, **cmd.model_dump())
        uow.session.add(leg)
        uow.session.flush()
        uow.audit(
            "movement.leg.created",
            entity="leg",
            entity_id=leg.id,
            site_id=leg.origin_site_id,
            details={"code": leg.code, "seats": leg.seats},
        )
        uow.commit()
        return leg.id


def change_leg(uow: UnitOfWork, leg_id: uuid.UUID, cmd: LegChange, *, actor: Actor) -> list[str]:
    """Delay or re-size; the fields that changed (the caller proposes a re-plan with the reason)."""
    require(actor, Permission.MOVEMENTS_MANAGE)
    with uow.acting(actor):
        leg = get_leg_or_raise(uow, leg_id, actor=actor)
        require_site(actor, leg.origin_site_id, what="leg's origin")
        changed = leg.change(
            at=uow.now(),
            departure_at=cmd.departure_at,
            seats=cmd.seats,
            lap_places=cmd.lap_places,
            stretcher_places=cmd.stretcher_places,
            baggage_kg=cmd.baggage_kg,
        )
        if changed:
            uow.audit(
                "movement.leg.changed",
                entity="leg",
                entity_id=leg.id,
                site_id=leg.origin_site_id,
                details={"fields": changed, "reason": cmd.reason},
            )
        uow.commit()
        return changed


def set_leg_status(uow: UnitOfWork, leg_id: uuid.UUID, cmd: LegStatusChange, *, actor: Actor) -> None:
    """Boarding freezes the manifest; cancelling revokes the leg's boarding passes."""
    require(actor, Permission.MOVEMENTS_MANAGE)
    with uow.acting(actor):
        leg = get_leg_or_raise(uow, leg_id, actor=actor)
        # arrival is declared at the destination; everything else at the origin
        site = leg.destination_site_id if cmd.status is LegStatus.ARRIVED else leg.origin_site_id
        require_site(actor, site, what="leg's site")
        if cmd.status is LegStatus.BOARDING and not actor.can(Permission.MOVEMENTS_PLAN):
            raise Forbidden(say("starting boarding freezes the manifest: that needs movements.plan"))
        before = leg.status
        now = uow.now()
        leg.move_to(cmd.status, at=now, reason=cmd.reason or None)
        if cmd.status is LegStatus.BOARDING and before is LegStatus.PLANNED:
            manifests.freeze(uow, leg, by=actor.username)
        if cmd.status is LegStatus.CANCELLED:
            passes = uow.session.scalars(
                select(BoardingPass).where(BoardingPass.leg_id == leg.id, BoardingPass.revoked_at.is_(None))
            ).all()
            for p in passes:
                p.revoke(at=now, reason=f"leg {leg.code} cancelled: {cmd.reason}")
        uow.audit(
            f"movement.leg.{cmd.status.value}",
            entity="leg",
            entity_id=leg.id,
            site_id=leg.origin_site_id,
            details={"from": before.value, "reason": cmd.reason},
        )
        uow.commit()


def create_travel_group(uow: UnitOfWork, cmd: TravelGroupCreate, *, actor: Actor) -> uuid.UUID:
    """Link households that travel together; all from one site, none already in another group."""
    require(actor, Permission.MOVEMENTS_MANAGE)
    with uow.acting(actor):
        households: list[Household] = [get_household_or_raise(uow, h, actor=actor) for h in cmd.household_ids]
        sites = {h.site_id for h in households}
        if len(sites) != 1:
            raise Invalid(
                say("a travel group's households are registered at one site"),
                problems=[FieldProblem("household_ids", say("households of several sites"))],
            )
        site_id = sites.pop()
        require_site(actor, site_id)
        taken = uow.session.scalars(
            select(TravelGroupMember.household_id).where(
                TravelGroupMember.household_id.in_(cmd.household_ids)
            )
        ).all()
        if taken:
            raise Conflict(
                say("a household is in another travel group already"),
                problems=[
                    FieldProblem("household_ids", say("%(household)s is in another group", household=h))
                    for h in taken
                ],
            )
        group = TravelGroup(
            name=cmd.name, origin_site_id=site_id, created_at=uow.now(), created_by=actor.username
        )
        group.members = [TravelGroupMember(household_id=h) for h in dict.fromkeys(cmd.household_ids)]
        uow.session.add(group)
        uow.session.flush()
        uow.audit(
            "movement.group.created",
            entity="travel_group",
            entity_id=group.id,
            site_id=site_id,
            details={"households": len(group.members)},
        )
        uow.commit()
        return group.id


def get_travel_group_or_raise(uow: UnitOfWork, group_id: uuid.UUID, *, actor: Actor) -> TravelGroup:
    group = uow.session.get(TravelGroup, group_id)
    if group is None:
        raise NotFound(say("travel group %(id)s not found", id=group_id))
    require_record(actor, group.origin_site_id, group.id, what=f"travel group {group_id}")
    return group


def allow_split(uow: UnitOfWork, group_id: uuid.UUID, reason: str, *, actor: Actor) -> None:
    """A supervisor's permission to split one travel group across legs, with the reason (audited).
    A single household is split only by making it a travel group of its own and allowing this."""
    require(actor, Permission.MOVEMENTS_MANAGE)
    require(actor, Permission.APPROVE)
    with uow.acting(actor):
        group = get_travel_group_or_raise(uow, group_id, actor=actor)
        group.allow_split(by=actor.username, reason=reason, at=uow.now())
        uow.audit(
            "movement.group.split_allowed",
            entity="travel_group",
            entity_id=group.id,
            site_id=group.origin_site_id,
            details={"reason": group.split_reason},
        )
        uow.commit()
