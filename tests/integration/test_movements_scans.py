"""Checkpoint scans through the API: signed tokens (forged and altered ones rejected with the reason),
idempotent uploads, offline scans uploaded late and out of order giving the same state, and the
accountability they add up to."""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from safepassage.movements import legs, passes, planning
from safepassage.movements.models import BoardingPass
from safepassage.movements.planner import GreedySolver, LegStatus
from safepassage.movements.schemas import LegStatusChange
from safepassage.security.policy import Role
from tests.integration.test_movements_workflow import POLICY, destination, leg, member, register

pytestmark = pytest.mark.db

T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)


@pytest.fixture
def world(container, make_user, site_id, settings):
    """Two households on leg AF-1 (accepted plan, passes issued), a planner at the origin and a clerk
    at each end."""
    dest = destination(container)
    planner = make_user("planner_aleppo", Role.MOVEMENT_PLANNER, sites=[site_id])
    leg_id = leg(container, planner, site_id, dest, seats=10)
    register(container, site_id, member("Anna", "First"), member("Boris", "First", sex="male"))
    register(container, site_id, member("Clara", "Second"))
    plan = planning.propose_plan(
        container.uow(), site_id, actor=planner, policy=POLICY, solver=GreedySolver()
    )
    planning.accept_plan(container.uow(), plan, actor=planner)
    passes.issue_passes(container.uow(), leg_id, actor=planner)
    key = passes.signing_key(passes.key_path(settings.var_dir, settings.boarding_pass_key_file))
    with container.uow() as uow:
        issued = uow.session.scalars(select(BoardingPass).where(BoardingPass.leg_id == leg_id)).all()
        tokens = {p.person_id: passes.make_token(key, p.id, p.person_id, p.leg_id) for p in issued}
        numbers = {p.person_id: p.number for p in issued}
    return {
        "origin": site_id,
        "dest": dest,
        "leg": leg_id,
        "planner": planner,
        "clerk": make_user("clerk_aleppo", Role.REGISTRATION_CLERK, sites=[site_id]),
        "arrivals": make_user("clerk_beirut", Role.REGISTRATION_CLERK, sites=[dest]),
        "tokens": tokens,
        "numbers": numbers,
    }


def scan(w, person, checkpoint, minutes, *, site=None, token=None, client_id=None, **extra):
    body = {
        "client_id": client_id or f"dev1-{uuid.uuid4().hex}",
        "token": token if token is not None else w["tokens"][person],
        "checkpoint": checkpoint,
        "site_id": str(site or (w["dest"] if checkpoint == "arrival" else w["origin"])),
        "leg_id": str(w["leg"]),
        "device_at": (T0 + dt.timedelta(minutes=minutes)).isoformat(),
    }
    body.update(extra)
    return body


def post(app_client, headers, scans):
    r = app_client.post("/api/v1/scans", json={"scans": scans}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_forged_or_altered_pass_is_rejected_with_the_reason(app_client, api_as, world):
    person = next(iter(world["tokens"]))
    genuine = world["tokens"][person]
    prefix, payload, signature = genuine.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=="))
    other = next(p for p in world["tokens"] if p != person)
    raw[16:32] = other.bytes  # someone else's person id under the genuine signature
    altered = f"{prefix}.{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}.{signature}"
    forged = passes.make_token(Ed25519PrivateKey.generate(), uuid.uuid4(), person, world["leg"])
    answer = post(
        app_client,
        api_as(world["clerk"]),
        [
            scan(world, person, "assembly_check_in", 0, token=altered),
            scan(world, person, "assembly_check_in", 1, token=forged),
            scan(world, person, "assembly_check_in", 2, token="hello"),
            scan(world, person, "assembly_check_in", 3),
        ],
    )
    reasons = [r["reason"] for r in answer["results"]]
    assert "forged or altered" in reasons[0] and "forged or altered" in reasons[1]
    assert "not a SafePassage" in reasons[2]
    assert (
        answer["results"][3]["outcome"] == "accepted" and answer["accepted"] == 1 and answer["rejected"] == 3
    )


def test_scanning_twice_is_harmless(app_client, api_as, world):
    person = next(iter(world["tokens"]))
    once = scan(world, person, "assembly_check_in", 0, client_id="dev1-fixed-000001")
    first = post(app_client, api_as(world["clerk"]), [once])
    again = post(app_client, api_as(world["clerk"]), [once, once])
    assert first["accepted"] == 1 and again["accepted"] == 0 and again["duplicates"] == 2
    state = app_client.get(f"/api/v1/persons/{person}/movements", headers=api_as(world["clerk"])).json()
    assert len(state["scans"]) == 1 and state["state"] == "checked_in"


def _final_states(app_client, api_as, world, order):
    states = {}
    for person in world["tokens"]:
        r = app_client.get(f"/api/v1/persons/{person}/movements", headers=api_as(world["planner"]))
        states[person] = (r.json()["state"], r.json()["where_site_id"], r.json()["on_leg_code"])
    return states


def test_offline_scans_uploaded_out_of_order_give_the_same_state(container, app_client, api_as, world):
    people = list(world["tokens"])
    journey = []
    for i, person in enumerate(people):
        journey.append(scan(world, person, "assembly_check_in", 10 + i))
        journey.append(scan(world, person, "boarding", 60 + i))
    # the last person is checked in again by a second device after boarding (a late duplicate desk)
    journey.append(scan(world, people[-1], "assembly_check_in", 5, client_id=f"dev2-{uuid.uuid4().hex}"))
    in_order = post(app_client, api_as(world["clerk"]), journey)
    assert in_order["accepted"] == len(journey)
    expected = _final_states(app_client, api_as, world, "in order")
    assert all(s == ("boarded", None, "AF-1") for s in expected.values())

    # the same journey in a fresh database, uploaded by devices in random small batches, late
    with container.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM movement_scans")
    shuffled = journey[:]
    random.Random(7).shuffle(shuffled)
    for start in range(0, len(shuffled), 2):
        post(app_client, api_as(world["clerk"]), shuffled[start : start + 2])
    assert _final_states(app_client, api_as, world, "shuffled") == expected


def test_accountability_counts_each_checkpoint_and_the_missing(container, app_client, api_as, world):
    people = list(world["tokens"])
    clerk, arrivals = api_as(world["clerk"]), api_as(world["arrivals"])
    post(app_client, clerk, [scan(world, p, "assembly_check_in", i) for i, p in enumerate(people)])
    post(app_client, clerk, [scan(world, p, "boarding", 30 + i) for i, p in enumerate(people[:2])])
    legs.set_leg_status(
        container.uow(), world["leg"], LegStatusChange(status=LegStatus.BOARDING), actor=world["planner"]
    )
    legs.set_leg_status(
        container.uow(), world["leg"], LegStatusChange(status=LegStatus.DEPARTED), actor=world["planner"]
    )
    # arrival is scanned at the destination, by its clerk, who cannot scan it at the origin
    wrong = post(app_client, clerk, [scan(world, people[0], "arrival", 200, site=world["origin"])])
    assert "destination" in wrong["results"][0]["reason"]
    post(app_client, arrivals, [scan(world, people[0], "arrival", 240)])
    r = app_client.get(f"/api/v1/legs/{world['leg']}/accountability", headers=api_as(world["planner"]))
    report = r.json()
    assert (report["manifested"], report["checked_in"], report["boarded"], report["arrived"]) == (3, 3, 2, 1)
    assert report["no_shows"] == [str(people[2])]
    assert report["unaccounted"] == []  # only once the leg has arrived
    planner_headers = api_as(world["planner"])
    r = app_client.post(
        f"/api/v1/legs/{world['leg']}/status", json={"status": "arrived"}, headers=api_as(world["arrivals"])
    )
    assert r.status_code == 403, "a clerk may not change legs"
    legs.set_leg_status(
        container.uow(),
        world["leg"],
        LegStatusChange(status=LegStatus.ARRIVED),
        actor=_supervisor_at(container, world),
    )
    report = app_client.get(f"/api/v1/legs/{world['leg']}/accountability", headers=planner_headers).json()
    assert report["unaccounted"] == [str(people[1])]
    presence = app_client.get(f"/api/v1/sites/{world['dest']}/presence", headers=arrivals).json()
    assert presence["present"] == [str(people[0])]
    origin = app_client.get(f"/api/v1/sites/{world['origin']}/presence", headers=clerk).json()
    assert origin["present"] == [str(people[2])], "the no-show is still at the assembly point"


def _supervisor_at(container, world):
    from safepassage.security import services as security
    from tests.conftest import ADMIN

    username = "supervisor_beirut"
    security.create_user(
        container.uow(),
        username=username,
        role=Role.SUPERVISOR,
        password="correct-horse-battery-staple",
        site_ids=frozenset({world["dest"]}),
        actor=ADMIN,
    )
    from safepassage.security.policy import Actor

    return Actor(username=username, role=Role.SUPERVISOR, site_ids=frozenset({world["dest"]}))


def test_a_typed_pass_number_works_and_a_revoked_pass_is_refused_after_revocation(
    container, app_client, api_as, world
):
    person = next(iter(world["tokens"]))
    typed = scan(world, person, "assembly_check_in", 0, token=None)
    del typed["token"]
    typed["pass_number"] = world["numbers"][person].lower().replace("-", " ")
    assert post(app_client, api_as(world["clerk"]), [typed])["accepted"] == 1
    legs.set_leg_status(
        container.uow(),
        world["leg"],
        LegStatusChange(status=LegStatus.CANCELLED, reason="storm"),
        actor=world["planner"],
    )
    late = post(app_client, api_as(world["clerk"]), [scan(world, person, "boarding", 10_000)])
    assert "revoked" in late["results"][0]["reason"]


def test_a_scan_at_a_site_that_is_not_yours_is_rejected(app_client, api_as, world):
    person = next(iter(world["tokens"]))
    answer = post(app_client, api_as(world["arrivals"]), [scan(world, person, "assembly_check_in", 0)])
    assert answer["results"][0]["reason"] == "this site is not one of your sites"


def test_an_upload_is_one_audit_entry_that_accounts_for_its_scans_and_the_stays_it_moved(
    container, app_client, api_as, world
):
    """The stays a batch moves are folded into the batch's one entry (not one entry per stay row),
    and what the entry says can be checked against the scans and the change records."""
    import hashlib

    from safepassage.history import ChangeRecord
    from safepassage.movements.models import Scan
    from safepassage.security import audit
    from safepassage.security.audit.models import AuditEntry
    from safepassage.security.audit.verify import verify_chain

    people = list(world["tokens"])
    headers = api_as(world["clerk"])  # issuing the token is an entry of its own
    with container.uow() as uow:
        before = uow.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) or 0
    answer = post(
        app_client,
        headers,
        [scan(world, p, "assembly_check_in", 10 + i) for i, p in enumerate(people)]
        + [scan(world, people[0], "assembly_check_in", 1, token="hello")],
    )
    assert answer["accepted"] == len(people) and answer["rejected"] == 1
    with container.uow() as uow:
        entries = uow.session.scalars(select(AuditEntry).where(AuditEntry.seq > before)).all()
        assert [e.action for e in entries] == ["movement.scans.recorded"]
        entry = entries[0]
        assert entry.actor == "clerk_aleppo" and entry.site_id == world["origin"]
        details = entry.details
        assert (details["accepted"], details["rejected"]) == (len(people), 1)
        assert details["stays_opened"] == len(people) and details["stays_changed"] == 0
        scans = uow.session.scalars(select(Scan.id).where(Scan.recorded_by == "clerk_aleppo")).all()
        ids = "\n".join(sorted(str(i) for i in scans))
        assert details["scans_digest"] == hashlib.sha256(ids.encode()).hexdigest()
        # the change records of the same transaction list exactly the stays the digest covers
        records = uow.session.scalars(
            select(ChangeRecord).where(
                ChangeRecord.transaction_id == uuid.UUID(details["transaction_id"]),
                ChangeRecord.entity == "site_stays",
            )
        ).all()
        lines = sorted(f"site_stay.{r.action}:{r.entity_id}" for r in records)
        assert len(lines) == len(people)
        assert details["stays_digest"] == hashlib.sha256("\n".join(lines).encode()).hexdigest()
        report = verify_chain(uow.session, audit.public_keys(container.settings))
    assert report.intact, report.problems
