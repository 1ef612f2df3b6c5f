"""The linking workflow through its services and API: a cross-script duplicate is found and queued
(never merged by itself), a rejected pair stays apart, a merge is undone exactly, every act is audited,
and the queue keeps to the reviewer's sites."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from safepassage.bootstrap import Container
from safepassage.linking import merging, queries, services
from safepassage.linking.models import CandidatePair, PairStatus, Verdict
from safepassage.registry import schemas
from safepassage.registry import services as registry
from safepassage.registry.models import (
    ConsentRecord,
    Document,
    Household,
    IntentionStatement,
    Person,
    Phone,
)
from safepassage.security.audit.models import AuditEntry
from safepassage.security.policy import SYSTEM, Role
from safepassage.shared.errors import Invalid, NotFound
from tests.conftest import household_payload

pytestmark = pytest.mark.db


def latin_natalya(site: uuid.UUID) -> dict[str, Any]:
    """The head of ``household_payload`` again, written in Latin letters at another desk."""
    return household_payload(
        site,
        members=[
            {
                "given_name": "Natalya",
                "father_name": "Ivanovna",
                "family_name": "Ivanova",
                "sex": "female",
                "birth_date": {"value": "1986-04-12"},
                "nationalities": ["RU"],
                "documents": [{"type": "passport", "number": "751234567", "issuing_country": "RU"}],
                "phones": ["+963 944 123 456"],
                "consents": [{"purpose": "registration", "method": "verbal"}],
            }
        ],
    )


def stranger(site: uuid.UUID) -> dict[str, Any]:
    return household_payload(
        site,
        members=[
            {
                "given_name": "Omar",
                "family_name": "Haddad",
                "sex": "male",
                "birth_date": {"value": "1971-09-30"},
                "nationalities": ["SY"],
            }
        ],
    )


def register(container: Container, payload: dict[str, Any]) -> Household:
    return registry.register_household_returning(
        container.uow(), schemas.HouseholdCreate.model_validate(payload), actor=SYSTEM
    )


def head_of(household: Household) -> uuid.UUID:
    return next(m.id for m in household.members if m.relationship_to_head == "head")


def register_duplicates(container: Container, site_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """Наталья Иванова registered twice (Cyrillic, then Latin), and an unrelated man."""
    first = register(container, household_payload(site_id))
    second = register(container, latin_natalya(site_id))
    register(container, stranger(site_id))
    return head_of(first), head_of(second)


@pytest.fixture
def duplicates(container: Container, site_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return register_duplicates(container, site_id)


def pair_of(container: Container, a: uuid.UUID, b: uuid.UUID, status: PairStatus) -> CandidatePair | None:
    with container.uow() as uow:
        lo, hi = sorted((a, b), key=str)
        pair = uow.session.scalar(
            select(CandidatePair).where(
                CandidatePair.person_a_id == lo,
                CandidatePair.person_b_id == hi,
                CandidatePair.status == status,
            )
        )
        if pair is not None:
            uow.session.expunge(pair)
        return pair


def actions(container: Container) -> list[str]:
    with container.uow() as uow:
        return list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_a_cross_script_duplicate_is_queued_not_merged(container, duplicates, supervisor, site_id):
    a, b = duplicates
    run_id = services.run_batch(container.uow(), actor=supervisor)
    pair = pair_of(container, a, b, PairStatus.OPEN)
    assert pair is not None, "the Cyrillic and Latin records of one woman were not paired"
    assert pair.run_id == run_id
    assert pair.probability >= 0.5
    assert pair.explanation
    with container.uow() as uow:
        assert uow.session.get(Person, a).merged_into_id is None
        assert uow.session.get(Person, b).merged_into_id is None
    queue = queries.list_pairs(container.uow(), actor=supervisor)
    shown = next(p for p in queue if p.id == pair.id)
    assert {shown.a.given_name, shown.b.given_name} == {"Наталья", "Natalya"}
    assert "Omar" not in {s.given_name for p in queue for s in (p.a, p.b)}
    run = queries.get_run(container.uow(), run_id, actor=supervisor)
    assert run.persons == 4 and run.pairs == len(queue) and run.near_certain + run.uncertain == run.pairs
    assert "linking.run" in actions(container)


def test_a_rejected_pair_stays_apart_on_the_next_run(container, duplicates, supervisor):
    a, b = duplicates
    services.run_batch(container.uow(), actor=supervisor)
    pair = pair_of(container, a, b, PairStatus.OPEN)
    assert pair is not None
    with pytest.raises(Invalid):
        services.decide_pair(container.uow(), pair.id, Verdict.REJECTED, actor=supervisor)
    services.decide_pair(
        container.uow(), pair.id, Verdict.REJECTED, reason="sisters-in-law, checked", actor=supervisor
    )
    second = services.run_batch(container.uow(), actor=supervisor)
    assert pair_of(container, a, b, PairStatus.OPEN) is None
    assert queries.get_run(container.uow(), second, actor=supervisor).kept_apart >= 1
    assert "linking.pair.rejected" in actions(container)


def state(container: Container, person_ids: tuple[uuid.UUID, ...]) -> dict[str, Any]:
    """Everything a merge touches, per person, for comparing before and after."""
    out: dict[str, Any] = {}
    with container.uow() as uow:
        for pid in person_ids:
            person = uow.session.get(Person, pid)
            assert person is not None
            rows = {
                model.__name__: sorted(
                    str(i) for i in uow.session.scalars(select(model.id).where(model.person_id == pid))
                )
                for model in (Document, Phone, ConsentRecord, IntentionStatement)
            }
            home = uow.session.get(Household, person.household_id) if person.household_id else None
            out[str(pid)] = {
                "household": str(person.household_id),
                "relationship": person.relationship_to_head,
                "merged_into": person.merged_into_id,
                "household_status": home.status if home else None,
                "household_merged_into": home.merged_into_id if home else None,
                **rows,
            }
    return out


def test_merge_then_unmerge_restores_both_records(container, duplicates, supervisor):
    a, b = duplicates
    services.run_batch(container.uow(), actor=supervisor)
    pair = pair_of(container, a, b, PairStatus.OPEN)
    assert pair is not None
    before = state(container, (a, b))
    services.decide_pair(container.uow(), pair.id, Verdict.ACCEPTED, actor=supervisor)
    merge_id = merging.merge_pair(container.uow(), pair.id, survivor_id=a, actor=supervisor)
    merged = state(container, (a, b))
    assert merged[str(b)]["merged_into"] == a
    assert merged[str(b)]["Document"] == [] and set(before[str(b)]["Document"]) <= set(
        merged[str(a)]["Document"]
    )
    assert merged[str(b)]["household"] == "None"
    merging.unmerge(container.uow(), merge_id, reason="two women after all", actor=supervisor)
    assert state(container, (a, b)) == before
    # the pair is kept apart from now on
    services.run_batch(container.uow(), actor=supervisor)
    assert pair_of(container, a, b, PairStatus.OPEN) is None
    assert [x for x in actions(container) if x in ("linking.merged", "linking.unmerged")] == [
        "linking.merged",
        "linking.unmerged",
    ]
    (listed,) = queries.list_merges(container.uow(), actor=supervisor)
    assert listed.undone_by == supervisor.username and listed.moved["documents"] >= 1


def test_bulk_acceptance_of_the_near_certain_band(container, duplicates, supervisor):
    a, b = duplicates
    run_id = services.run_batch(container.uow(), services.RunOptions(near_certain=0.5), actor=supervisor)
    accepted = services.accept_band(container.uow(), run_id, actor=supervisor)
    pair = pair_of(container, a, b, PairStatus.ACCEPTED)
    assert pair is not None and pair.id in accepted
    with container.uow() as uow:
        assert uow.session.get(Person, b).merged_into_id is None  # accepted, not merged


def test_the_queue_keeps_to_the_reviewers_sites(container, duplicates, supervisor, make_user):
    a, b = duplicates
    other = registry.create_site(
        container.uow(),
        schemas.SiteCreate(code="BEY-1", name="Beirut", kind="shelter", country="LB"),
        actor=SYSTEM,
    )
    elsewhere = make_user("cw_beirut", Role.CASEWORKER, sites=[other])
    services.run_batch(container.uow(), actor=supervisor)
    pair = pair_of(container, a, b, PairStatus.OPEN)
    assert pair is not None
    assert queries.list_pairs(container.uow(), actor=elsewhere) == []
    with pytest.raises(NotFound):
        queries.get_pair(container.uow(), pair.id, actor=elsewhere)
    with pytest.raises(NotFound):
        services.decide_pair(container.uow(), pair.id, Verdict.ACCEPTED, actor=elsewhere)


def test_the_api_runs_queues_decides_merges_and_unmerges(
    app_client, api_as, container, duplicates, supervisor
):
    a, b = duplicates
    headers = api_as(supervisor)
    run = app_client.post("/api/v1/linking/runs", json={}, headers=headers)
    assert run.status_code == 201, run.text
    queue = app_client.get("/api/v1/linking/pairs", headers=headers).json()
    pair = next(p for p in queue if {p["a"]["id"], p["b"]["id"]} == {str(a), str(b)})
    assert pair["explanation"] and pair["a"]["document_number"] is not None
    answer = app_client.post(f"/api/v1/linking/pairs/{pair['id']}/merge", json={}, headers=headers)
    assert answer.status_code == 409  # not accepted yet
    assert (
        app_client.post(f"/api/v1/linking/pairs/{pair['id']}/accept", json={}, headers=headers).status_code
        == 200
    )
    merged = app_client.post(f"/api/v1/linking/pairs/{pair['id']}/merge", json={}, headers=headers)
    assert merged.status_code == 201, merged.text
    undo = app_client.post(
        f"/api/v1/linking/merges/{merged.json()['id']}/unmerge", json={"reason": "wrong"}, headers=headers
    )
    assert undo.status_code == 200, undo.text
