"""Erasing a person reaches the movement records: the frozen manifest keeps their row (counts and
accountability unchanged) without names, birth date, nationality or document; plan summaries lose the
reasons that held them back; their pass no longer says their language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safepassage.movements import documents, legs, planning, queries
from safepassage.movements.erasure import ERASED, ERASED_FIELDS
from safepassage.movements.models import BoardingPass, Manifest, MovementPlan
from safepassage.movements.planner import GreedySolver, LegStatus
from safepassage.movements.schemas import LegStatusChange
from safepassage.registry import services
from safepassage.security.policy import SYSTEM
from tests.integration.test_movements_scans import post, scan, world  # noqa: F401 (fixture)
from tests.integration.test_movements_workflow import POLICY, member, register

pytestmark = pytest.mark.db

REASON = "the person asked for their data to be erased"


def _manifest(container, leg_id):
    with container.uow() as uow:
        m = uow.session.scalar(select(Manifest).where(Manifest.leg_id == leg_id))
        return list(m.entries), dict(m.counts)


def test_an_erased_person_leaves_the_frozen_manifest_but_not_its_counts(
    container,
    app_client,
    api_as,
    world,  # noqa: F811
):
    people = list(world["tokens"])
    post(
        app_client,
        api_as(world["clerk"]),
        [scan(world, p, "assembly_check_in", i) for i, p in enumerate(people)],
    )
    legs.set_leg_status(
        container.uow(), world["leg"], LegStatusChange(status=LegStatus.BOARDING), actor=world["planner"]
    )
    before, counts_before = _manifest(container, world["leg"])
    accountability_before = queries.leg_accountability(container.uow(), world["leg"], actor=world["planner"])
    erased = people[0]
    original = next(e for e in before if e["person_id"] == str(erased))
    assert original["family_name"] and original["document_number"]

    services.erase_person(container.uow(), erased, actor=SYSTEM, reason=REASON)

    after, counts_after = _manifest(container, world["leg"])
    assert counts_after == counts_before and len(after) == len(before)
    row = next(e for e in after if e["person_id"] == str(erased))
    assert {f: row[f] for f in ERASED_FIELDS if original[f]} == {
        f: ERASED for f in ERASED_FIELDS if original[f]
    }
    kept = ("seq", "person_id", "sex", "category", "tier", "place", "group")
    assert {k: row[k] for k in kept} == {k: original[k] for k in kept}
    assert [e for e in after if e["person_id"] != str(erased)] == [
        e for e in before if e["person_id"] != str(erased)
    ], "the others are untouched"
    accountability_after = queries.leg_accountability(container.uow(), world["leg"], actor=world["planner"])
    assert accountability_after == accountability_before
    body, _, _ = documents.manifest_document(container.uow(), world["leg"], actor=world["planner"], fmt="csv")
    text = body.decode()
    assert original["document_number"] not in text and original["given_names"] not in text
    with container.uow() as uow:
        language = uow.session.scalar(select(BoardingPass.language).where(BoardingPass.person_id == erased))
    assert language == "en"


def test_an_erased_person_leaves_the_reasons_a_plan_gives_for_holding_a_group_back(
    container,
    world,  # noqa: F811
):
    held = register(
        container,
        world["origin"],
        member(
            "Dina",
            "Held",
            documents=[{"type": "passport", "number": "PX123456", "expiry_date": "2026-01-01"}],
        ),
    )
    plan_id = planning.propose_plan(
        container.uow(), world["origin"], actor=world["planner"], policy=POLICY, solver=GreedySolver()
    )

    def reasons() -> list[str]:
        with container.uow() as uow:
            plan = uow.session.get(MovementPlan, plan_id)
            return [line for g in plan.summary["groups_held"] for line in g["reasons"]]

    line = next(r for r in reasons() if r.startswith(str(held[0])))
    assert "expires" in line
    services.erase_person(container.uow(), held[0], actor=SYSTEM, reason=REASON)
    assert f"{held[0]}: {ERASED}" in reasons() and line not in reasons()
