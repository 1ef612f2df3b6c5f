"""Every proposal explains itself (predicted outcome in the chosen region, the next best region and why
it was not chosen) on the review page in English, Russian and Arabic, said from the proposal's codes:
no raw code value shows where a label exists, and the engine's English sentence only on English pages."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from safepassage.bootstrap import Container
from safepassage.placement import queries, runs, services
from safepassage.placement.engine import ReasonCode
from safepassage.placement.models import CAPACITIES, Eligibility, ProposalStatus
from safepassage.placement.schemas import ProfileUpdate, ProposalRead, RunCreate
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.web import i18n
from safepassage.web.placement_pages import REASONS, RESOURCES, explain
from tests.conftest import web_sign_in
from tests.integration.test_placement_workflow import register, set_up_regions_and_history

LANGS = ("en", "ru", "ar")
#: code values that have a label and must never show as such: the snake_case ones everywhere (a
#: one-word code such as "best" is also an English word), the medical services' codes on the Russian and
#: Arabic pages, where the English word is a raw value
CODES = sorted(
    c
    for c in {r.value for r in ReasonCode}
    | {e.value for e in Eligibility}
    | {s.value for s in ProposalStatus}
    | set(CAPACITIES)
    if "_" in c
)
WORDS = ("dialysis", "oncology", "disability")


def visible(page: str) -> str:
    """What a reader sees: the text without tags, attributes and the hidden form values."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def officer(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    return make_user("placement_aleppo", Role.PLACEMENT_OFFICER, sites=[site_id])


@pytest.fixture
def officer_client(app_client: TestClient, container: Container, officer: Actor) -> TestClient:
    assert web_sign_in(app_client, container, officer.username).status_code == 303
    return app_client


@pytest.mark.db
@pytest.mark.parametrize("lang", LANGS)
def test_the_review_page_explains_every_proposal_in_its_language(
    officer_client, officer, container, site_id, lang
):
    set_up_regions_and_history(container, north=4, south=4, east=2)  # scarce: some go elsewhere
    for _ in range(5):
        register(container, site_id)
    dialysis = register(container, site_id)
    services.set_profile(container.uow(), dialysis, ProfileUpdate(dialysis_persons=1), actor=SYSTEM)
    register(container, site_id, consent=False)
    run_id = runs.run_placement(container.uow(), RunCreate(time_limit=20), actor=officer)
    proposals = queries.list_proposals(container.uow(), actor=officer, run_id=run_id)
    assert {p.status for p in proposals} == {ProposalStatus.PROPOSED, ProposalStatus.NOT_ELIGIBLE}
    assert len({p.reason_code for p in proposals}) >= 3  # several kinds of explanation on the page

    page = officer_client.get(f"/placement?run={run_id}&status=&lang={lang}")
    assert page.status_code == 200
    text = visible(page.text)
    gettext = i18n.translations(lang).gettext
    names = {r.code: r.name for r in queries.list_regions(container.uow(), actor=officer)}
    for p in proposals:
        assert gettext(REASONS[p.reason_code]) in text, p.reason_code
        sentence = explain(p, gettext, names)
        assert sentence and sentence in text
        if p.region is not None:  # the predicted outcome in the chosen region
            assert f"{p.predicted_outcome:.2f}" in text
        if p.next_best_region is not None and p.status is ProposalStatus.PROPOSED:
            assert f"{p.next_best_outcome:.2f}" in text and p.next_best_region in text
        assert (p.reason in text) == (lang == "en" and p.status is ProposalStatus.PROPOSED)
    for code in CODES:
        assert not re.search(rf"\b{code}\b", text), f"{lang}: raw code {code} on the page"
    if lang != "en":
        for word in WORDS:
            assert not re.search(rf"\b{word}\b", text), f"{lang}: raw English {word} on the page"
        # the labels the catalogues translate are translated (the reason labels were there before)
        assert all(
            gettext(REASONS[p.reason_code]) != REASONS[p.reason_code]
            for p in proposals
            if p.status is ProposalStatus.PROPOSED
        )


def proposal(code: str, detail: dict[str, object], region: str | None = "NORTH") -> ProposalRead:
    return ProposalRead(
        id=uuid.uuid4(),
        run_id=uuid.uuid4(),
        household_id=uuid.uuid4(),
        head_name="—",
        persons=3,
        use={},
        region=region,
        predicted_outcome=0.5 if region else None,
        next_best_region="SOUTH",
        next_best_outcome=0.7,
        reason_code=code,
        reason="the engine's sentence",
        detail=detail,
        status=ProposalStatus.PROPOSED,
        decided_region=None,
        decided_by=None,
        decided_at=dt.datetime(2026, 11, 22, tzinfo=dt.UTC),
        decision_reason=None,
    )


CASES = [
    ("best", {"region": "SOUTH"}),
    ("need", {"region": "SOUTH", "resource": "dialysis"}),
    ("tie", {"region": "NORTH"}),
    ("capacity", {"region": "SOUTH", "resource": "school_places", "kind": "short", "left": 1}),
    ("capacity", {"region": "SOUTH", "resource": "housing_large", "kind": "taken"}),
    ("capacity", {"region": "SOUTH", "resource": None, "kind": "priced", "price": None}),
    ("quota", {"region": "SOUTH", "resource": "quota_persons", "kind": "priced", "price": 0.4}),
    ("unplaced_need", {"resource": "oncology"}),
    ("unplaced_tie", {"region": "EAST", "resource": "housing_small"}),
    ("unplaced_capacity", {"resource": "kindergarten_places"}),
    ("unplaced_capacity", {"resource": None}),
    ("unplaced_solver", {}),
    ("no_consent", {"members": 2}),
    ("consent_withdrawn", {"members": 1}),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("code", "detail"), CASES, ids=[f"{c}-{d.get('kind', '')}" for c, d in CASES])
def test_every_reason_is_said_from_its_codes(lang, code, detail):
    gettext = i18n.translations(lang).gettext
    names = {"NORTH": "North", "SOUTH": "South", "EAST": "East"}
    unplaced = code.startswith("unplaced") or code in ("no_consent", "consent_withdrawn")
    sentence = explain(proposal(code, detail, None if unplaced else "NORTH"), gettext, names)
    assert sentence and "%(" not in sentence
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", sentence), sentence  # no snake_case code value
    resource = detail.get("resource")
    if isinstance(resource, str):
        assert gettext(RESOURCES[resource]) in sentence
    region = detail.get("region")
    if isinstance(region, str):
        assert f"{region} · {names[region]}" in sentence
    if "members" in detail:
        assert str(detail["members"]) in sentence
