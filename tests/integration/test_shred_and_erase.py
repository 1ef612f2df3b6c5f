"""``safepassage site shred`` and ``person erase``: after a shred no route, page, export, command or
direct database read recovers a protected value of that site, while everything else (and every
other site) keeps working; an erased person leaves a tombstone, no personal value, a valid chain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from safepassage.bootstrap import Container
from safepassage.cli.main import app
from safepassage.history import ChangeRecord
from safepassage.registry import queries, schemas, services
from safepassage.registry.exporting import export_csv, request_export
from safepassage.registry.models import (
    PROTECTED_FIELDS,
    Document,
    NameToken,
    Person,
    PersonName,
    Phone,
    ProtectionAttributes,
)
from safepassage.security.audit import public_keys
from safepassage.security.audit.models import AuditEntry
from safepassage.security.audit.queries import verify
from safepassage.security.keys import FieldRef, KeyState, SiteKey
from safepassage.security.keys.envelope import Envelope, open_sealed
from safepassage.security.keys.errors import KeyShredded, TamperedValue
from safepassage.security.keys.usecases import shred_site
from safepassage.security.policy import SYSTEM, Actor, Role
from safepassage.shared.errors import Forbidden, Invalid
from tests.conftest import PASSWORD, csrf_field, enrol_second_factor, totp_code, web_sign_in
from tests.integration.test_protected_fields import PURPOSE, protection, read, register

pytestmark = pytest.mark.db


@pytest.fixture
def other_site(container: Container) -> uuid.UUID:
    return services.create_site(
        container.uow(),
        schemas.SiteCreate(code="HMS-AP", name="Homs assembly point", kind="assembly_point", country="SY"),
        actor=SYSTEM,
    )


@pytest.fixture
def second_supervisor(make_user: Callable[..., Actor], site_id: uuid.UUID, other_site: uuid.UUID) -> Actor:
    return make_user("supervisor2", Role.SUPERVISOR, sites=[site_id, other_site])


@pytest.fixture
def caseworker(make_user: Callable[..., Actor], site_id: uuid.UUID, other_site: uuid.UUID) -> Actor:
    return make_user("caseworker", Role.CASEWORKER, sites=[site_id, other_site])


@pytest.fixture
def cli(container, settings, monkeypatch):
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("SAFEPASSAGE_SECRET_KEY", settings.secret_key.get_secret_value())
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


def approvals(*people: tuple[str, str | None], reason: str = "site overrun; protect the people") -> str:
    """What the supervisors type at the terminal: (username, TOTP secret) each, then the reason."""
    lines = []
    for username, secret in people:
        lines += [username, PASSWORD]
        if secret is not None:
            lines.append(totp_code(secret, dt.datetime.now(dt.UTC)))
    return "\n".join([*lines, reason]) + "\n"


def test_shred_leaves_no_way_to_the_sites_protected_values(
    cli,
    container: Container,
    settings,
    app_client: TestClient,
    api_as,
    supervisor: Actor,
    second_supervisor: Actor,
    caseworker: Actor,
    site_id: uuid.UUID,
    other_site: uuid.UUID,
    tmp_path: Path,
):
    marker = f"SHRED{uuid.uuid4().hex[:10]}"
    doomed = register(container, supervisor, site_id, f"{marker}a")
    doomed_too = register(container, supervisor, site_id, f"{marker}b")
    kept = register(container, second_supervisor, other_site, "KEEP")
    first, second = (
        enrol_second_factor(container, "supervisor"),
        enrol_second_factor(container, "supervisor2"),
    )

    result = cli("site", "shred", "ALP-AP", input=approvals(("supervisor", first), ("supervisor2", second)))
    assert result.exit_code == 0, result.output
    assert "shredded" in result.output and "1 key files destroyed" in result.output

    with container.uow() as uow:
        rows = [
            (k.site_id, k.state, k.shredded_by, k.approved_by, k.reason)
            for k in uow.session.scalars(select(SiteKey))
        ]
        audit = [
            (a.action, a.actor, a.details)
            for a in uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "site.shred"))
        ]
    assert (
        site_id,
        KeyState.SHREDDED,
        "supervisor",
        "supervisor2",
        "site overrun; protect the people",
    ) in rows
    assert (other_site, KeyState.ACTIVE, None, None, None) in rows
    assert audit == [("site.shred", "supervisor", {"versions": [1], "approved_by": "supervisor2"})]
    assert (
        list(
            (Path(settings.keystore_dir or Path(settings.var_dir) / "keys" / "sites") / str(site_id)).glob(
                "*.key"
            )
        )
        == []
    )

    # the API: the person still reads, each protected value says "shredded"; the other site is intact
    headers = api_as(caseworker)
    for person_id in (doomed, doomed_too):
        r = app_client.post(
            f"/api/v1/persons/{person_id}/protection/open", json={"purpose": PURPOSE}, headers=headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["display_name"] == "Layla Testperson"
        assert r.json()["protection"] == {key: {"state": "shredded"} for key in PROTECTED_FIELDS}
        assert marker not in r.text
    assert read(container, caseworker, kept).religion == "KEEP-religion"

    # the page shows the translated label where the values were
    web_sign_in(app_client, container, "caseworker")
    token = csrf_field(app_client.get(f"/persons/{doomed}").text)
    opened = {"csrf_token": token, "purpose": PURPOSE}
    page = app_client.post(f"/persons/{doomed}/protection/open", data=opened)
    assert page.status_code == 200 and page.text.count('class="withheld"') == 4 and ">shredded<" in page.text
    assert marker not in page.text
    russian = app_client.post(f"/persons/{doomed}/protection/open?lang=ru", data=opened)
    assert russian.text.count(">уничтожено<") == 4

    # an export (never protected fields, and nothing of them now) and the command line
    request = request_export(container.uow(), purpose="after the shred", actor=supervisor)
    out = tmp_path / "after.csv"
    export_csv(container.uow(), out, request_id=request.id, actor=supervisor)
    assert marker.encode() not in out.read_bytes()
    status = cli("keys", "status")
    assert status.exit_code == 0 and "shredded" in status.output and marker not in status.output

    # a direct read of the database: the envelopes are still there, and nothing opens them, even with
    # the KEK and every key file that is left, even with the shred marks rolled back in the database
    keys = container.keys
    with container.uow() as uow:
        stored = [
            (p.person_id, f, getattr(p, f))
            for p in uow.session.scalars(select(ProtectionAttributes))
            for f in PROTECTED_FIELDS
        ]
        uow.session.execute(update(SiteKey).where(SiteKey.site_id == site_id).values(state=KeyState.ACTIVE))
        uow.session.commit()
    doomed_values = [(pid, f, t) for pid, f, t in stored if pid in (doomed, doomed_too)]
    assert len(doomed_values) == 8 and all(marker not in t for _, _, t in doomed_values)
    left = [keys.store.read(f.site_id, f.ref).unwrap(keys.ring) for f in keys.store.files()]
    assert len(left) == 1  # the other site's key only
    for pid, name, sealed in doomed_values:
        for data_key in left:
            with pytest.raises(TamperedValue):
                open_sealed(data_key, FieldRef("protection_attributes", pid, name), Envelope.parse(sealed))
    with container.uow() as uow:
        uow.session.execute(update(SiteKey).where(SiteKey.site_id == site_id).values(state=KeyState.SHREDDED))
        uow.session.commit()

    # a new protected value at the shredded site starts a fresh key; the shredded ones stay gone
    services.update_person(
        container.uow(),
        doomed,
        schemas.PersonUpdate(protection=schemas.ProtectionInput(religion="recorded anew")),
        actor=supervisor,
    )
    again = read(container, supervisor, doomed)
    assert again.religion == "recorded anew" and again.narrative == schemas.Withheld(state="shredded")
    with container.uow() as uow:
        versions = {
            k.version: k.state for k in uow.session.scalars(select(SiteKey).where(SiteKey.site_id == site_id))
        }
        with pytest.raises(KeyShredded):
            row = uow.session.get(ProtectionAttributes, doomed_too)
            assert row is not None
            keys.open(uow.session, FieldRef("protection_attributes", doomed_too, "religion"), row.religion)
    assert versions == {1: KeyState.SHREDDED, 2: KeyState.ACTIVE}


def test_a_shred_needs_two_different_supervisors_of_the_site_and_a_reason(
    cli, container, supervisor, second_supervisor, caseworker, site_id, other_site, make_user
):
    register(container, supervisor, site_id, "TWO")
    first = enrol_second_factor(container, "supervisor")
    same = cli("site", "shred", "ALP-AP", input=approvals(("supervisor", first), ("supervisor", None)))
    assert same.exit_code != 0
    wrong = cli("site", "shred", "ALP-AP", input="supervisor\nnot-the-password\n")
    assert wrong.exit_code == 1 and "sign-in refused" in wrong.output
    not_enrolled = cli("site", "shred", "ALP-AP", input=approvals(("supervisor2", None)))
    assert not_enrolled.exit_code == 1 and "second factor" in not_enrolled.output
    with pytest.raises(Invalid, match="different"):
        shred_site(
            container.uow(), site_id, actor=supervisor, approver=supervisor, reason="a good long reason"
        )
    with pytest.raises(Forbidden):
        shred_site(
            container.uow(), site_id, actor=supervisor, approver=caseworker, reason="a good long reason"
        )
    outsider = make_user("supervisor3", Role.SUPERVISOR, sites=[other_site])
    with pytest.raises(Forbidden, match="supervisor3"):
        shred_site(container.uow(), site_id, actor=supervisor, approver=outsider, reason="a good long reason")
    with pytest.raises(Invalid) as short:
        shred_site(container.uow(), site_id, actor=supervisor, approver=second_supervisor, reason="why")
    assert short.value.problems[0].field == "reason"
    with container.uow() as uow:
        assert [k.state for k in uow.session.scalars(select(SiteKey))] == [KeyState.ACTIVE]
    assert (
        read(container, supervisor, register(container, supervisor, site_id, "TWO2")).religion
        == "TWO2-religion"
    )


# --- erase ----------------------------------------------------------------------------------------


def test_erase_keeps_a_tombstone_and_a_valid_chain_and_no_personal_value(
    cli, container, settings, supervisor, app_client, api_as, site_id
):
    payload = {
        "site_id": str(site_id),
        "category": "citizen",
        "intention": "leave_now",
        "members": [
            {
                "given_name": "Zainab",
                "family_name": "Erasable",
                "sex": "female",
                "birth_date": {"value": "1987-03-14"},
                "place_of_birth": "Homs",
                "documents": [{"type": "passport", "number": "N0987654", "issuing_country": "SY"}],
                "phones": ["0944 765 432"],
                "needs": ["SM"],
                "consents": [{"purpose": "registration", "method": "signed", "note": "said by Zainab"}],
                "protection": protection("ERASE").model_dump(),
            },
            {"given_name": "Omar", "family_name": "Stays", "relationship_to_head": "child", "sex": "male"},
        ],
    }
    created = app_client.post(
        "/api/v1/households", json=payload, headers={**api_as(supervisor), "Idempotency-Key": "erase-test-1"}
    )
    assert created.status_code == 201, created.text
    household_id = uuid.UUID(created.json()["id"])
    person_id = next(
        uuid.UUID(m["id"]) for m in created.json()["members"] if m["display_name"].startswith("Zainab")
    )
    services.update_person(
        container.uow(), person_id, schemas.PersonUpdate(family_name="Erasable-Corrected"), actor=supervisor
    )

    with container.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_records")).scalar_one() == 1
    result = cli("person", "erase", str(person_id), "--reason", "the person asked for erasure", "--yes")
    assert result.exit_code == 0, result.output

    with container.uow() as uow:
        person = uow.session.get(Person, person_id)
        assert person is not None
        tombstone = (
            person.site_id,
            person.household_id,
            person.sex.value,
            person.birth_year,
            person.birth_month,
            person.birth_day,
            person.place_of_birth,
            person.nationalities,
        )
        for model in (PersonName, NameToken, Document, Phone, ProtectionAttributes):
            assert uow.session.scalars(select(model).where(model.person_id == person_id)).first() is None, (
                model
            )
        history = [
            (c.old_value or "") + (c.new_value or "")
            for c in uow.session.scalars(select(ChangeRecord).where(ChangeRecord.subject_id == person_id))
        ]
        entries = [
            (a.action, a.entity_id, a.purpose, str(a.details))
            for a in uow.session.scalars(select(AuditEntry))
        ]
        everything = " ".join(
            (c.old_value or "") + (c.new_value or "") for c in uow.session.scalars(select(ChangeRecord))
        )
        cached = uow.session.execute(text("SELECT count(*) FROM idempotency_records")).scalar_one()
    assert tombstone == (site_id, household_id, "female", 1985, None, None, None, [])
    assert history and all(v in ("", "«erased»«erased»", "«erased»") for v in history)
    for value in ("Zainab", "Erasable", "N0987654", "765 432", "Homs", "said by Zainab", "ERASE"):
        assert value not in everything, value
        assert all(value not in str(e) for e in entries), value
    assert "Omar" in everything  # the other member's history is untouched
    assert cached == 0  # the registration's cached answer named her
    assert ("person.erase", str(person_id), "the person asked for erasure") in [e[:3] for e in entries]
    # still counted: the household keeps two members; the person no longer found by name
    household = queries.get_household(container.uow(), household_id, actor=supervisor)
    assert len(household.members) == 2
    assert (
        queries.list_persons(container.uow(), queries.PersonFilter(q="Zainab"), actor=supervisor).items == []
    )
    report = verify(container.uow(), public_keys(settings), actor=Actor(username="aud", role=Role.AUDITOR))
    assert report.intact, report


def test_erase_needs_the_permission_and_a_reason(container, supervisor, clerk_aleppo, site_id):
    person_id = register(container, supervisor, site_id, "ERASE2")
    with pytest.raises(Forbidden):
        services.erase_person(container.uow(), person_id, actor=clerk_aleppo, reason="a good long reason")
    with pytest.raises(Invalid):
        services.erase_person(container.uow(), person_id, actor=supervisor, reason="short")
    assert read(container, supervisor, person_id).religion == "ERASE2-religion"
