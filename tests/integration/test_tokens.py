"""API tokens: scopes narrow the role, tokens expire, are revoked at once, are stored hashed and are
listed without their secrets."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from safepassage.bootstrap import Container
from safepassage.cli.main import app as cli_app
from safepassage.security import services as security
from safepassage.security.models import ApiToken
from safepassage.security.policy import Actor, Permission, Role
from safepassage.shared.clock import FixedClock
from safepassage.shared.errors import Invalid
from tests.conftest import ADMIN, PASSWORD, household_payload

pytestmark = pytest.mark.db


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(app_client: TestClient, username: str, **extra: object) -> str:
    r = app_client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD, **extra})
    assert r.status_code == 201, r.text
    token: str = r.json()["access_token"]
    return token


def test_a_read_scoped_token_reads_but_cannot_write(
    app_client: TestClient, clerk_aleppo: Actor, site_id: uuid.UUID
) -> None:
    r = app_client.post(
        "/api/v1/tokens", json={"username": "clerk_aleppo", "password": PASSWORD, "scopes": ["registry.read"]}
    )
    assert r.status_code == 201 and r.json()["scopes"] == ["authenticated", "registry.read"]
    read_only = bearer(r.json()["access_token"])
    full = bearer(token_for(app_client, "clerk_aleppo"))
    assert app_client.get("/api/v1/persons", headers=read_only).status_code == 200
    refused = app_client.post("/api/v1/households", json=household_payload(site_id), headers=read_only)
    assert refused.status_code == 403
    assert (
        app_client.post("/api/v1/households", json=household_payload(site_id), headers=full).status_code
        == 201
    )


def test_a_token_cannot_carry_more_than_the_role(
    app_client: TestClient, container: Container, clerk_aleppo: Actor
) -> None:
    r = app_client.post(
        "/api/v1/tokens", json={"username": "clerk_aleppo", "password": PASSWORD, "scopes": ["users.manage"]}
    )
    assert r.status_code == 422 and "does not grant users.manage" in r.text
    with pytest.raises(Invalid):
        security.issue_token(
            container.uow(),
            username="clerk_aleppo",
            name="x",
            scopes=frozenset({Permission.AUDIT_READ}),
            actor=clerk_aleppo,
        )
    unknown = app_client.post(
        "/api/v1/tokens", json={"username": "clerk_aleppo", "password": PASSWORD, "scopes": ["everything"]}
    )
    assert unknown.status_code == 422


def test_the_scope_narrows_protected_fields_too(
    container: Container, make_user: Callable[..., Actor]
) -> None:
    make_user("cw", Role.CASEWORKER)
    token = security.issue_token(
        container.uow(),
        username="cw",
        name="stats",
        scopes=frozenset({Permission.REGISTRY_READ}),
        actor=ADMIN,
    )
    actor = security.actor_for_token(container.uow(), token)
    assert actor is not None
    assert actor.can(Permission.REGISTRY_READ) and not actor.can(Permission.REGISTRY_WRITE)
    assert not actor.can(Permission.PROTECTED_READ)


def test_a_token_expires(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, site_id: uuid.UUID
) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC))
    container.clock = clock
    token = bearer(token_for(app_client, "clerk_aleppo", valid_days=2))
    clock.advance(days=1, hours=23)
    assert app_client.get("/api/v1/sites", headers=token).status_code == 200
    clock.advance(hours=1)
    r = app_client.get("/api/v1/sites", headers=token)
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]


def test_a_lifetime_beyond_the_maximum_is_refused(app_client: TestClient, clerk_aleppo: Actor) -> None:
    r = app_client.post(
        "/api/v1/tokens", json={"username": "clerk_aleppo", "password": PASSWORD, "valid_days": 91}
    )
    assert r.status_code == 422


def test_a_revoked_token_is_refused_at_its_next_request_and_listed_without_secrets(
    app_client: TestClient, container: Container, clerk_aleppo: Actor
) -> None:
    keep, drop = (
        token_for(app_client, "clerk_aleppo", name="keep"),
        token_for(app_client, "clerk_aleppo", name="drop"),
    )
    listed = app_client.get("/api/v1/tokens", headers=bearer(keep))
    assert listed.status_code == 200
    assert keep not in listed.text and drop not in listed.text and "sp_" not in listed.text
    ids = {t["name"]: t["id"] for t in listed.json()}
    assert app_client.delete(f"/api/v1/tokens/{ids['drop']}", headers=bearer(keep)).status_code == 204
    assert app_client.get("/api/v1/sites", headers=bearer(drop)).status_code == 401
    assert app_client.get("/api/v1/sites", headers=bearer(keep)).status_code == 200
    revoked = {t["name"]: t for t in app_client.get("/api/v1/tokens", headers=bearer(keep)).json()}
    assert revoked["drop"]["revoked_at"] is not None and revoked["keep"]["revoked_at"] is None


def test_nobody_revokes_another_s_token_but_an_administrator(
    app_client: TestClient, container: Container, clerk_aleppo: Actor, make_user: Callable[..., Actor], api_as
) -> None:
    mine = token_for(app_client, "clerk_aleppo")
    token_id = next(t.id for t in security.list_tokens(container.uow(), "clerk_aleppo", actor=ADMIN))
    make_user("other", Role.CASEWORKER)
    other = bearer(token_for(app_client, "other"))
    assert app_client.delete(f"/api/v1/tokens/{token_id}", headers=other).status_code == 404
    assert app_client.get("/api/v1/sites", headers=bearer(mine)).status_code == 200
    admin = make_user("root", Role.ADMINISTRATOR)
    assert app_client.delete(f"/api/v1/tokens/{token_id}", headers=api_as(admin)).status_code == 204
    assert app_client.get("/api/v1/sites", headers=bearer(mine)).status_code == 401


def test_tokens_are_stored_hashed(app_client: TestClient, container: Container, clerk_aleppo: Actor) -> None:
    token = token_for(app_client, "clerk_aleppo")
    with container.uow() as uow:
        stored = uow.session.scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_tokens_from_the_command_line(
    container: Container, clerk_aleppo: Actor, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(container.settings.var_dir))
    runner = CliRunner()
    issued = runner.invoke(
        cli_app, ["user", "token", "clerk_aleppo", "--scope", "registry.read", "--days", "7"]
    )
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip()
    assert token.startswith("sp_")
    assert app_client.get("/api/v1/persons", headers=bearer(token)).status_code == 200
    listed = runner.invoke(cli_app, ["user", "tokens", "clerk_aleppo"])
    assert listed.exit_code == 0 and "registry.read" in listed.output and token not in listed.output
    token_id = next(t.id for t in security.list_tokens(container.uow(), "clerk_aleppo", actor=ADMIN))
    assert runner.invoke(cli_app, ["user", "revoke-token", str(token_id)]).exit_code == 0
    assert app_client.get("/api/v1/persons", headers=bearer(token)).status_code == 401
    bad = runner.invoke(cli_app, ["user", "token", "clerk_aleppo", "--scope", "users.manage"])
    assert bad.exit_code == 2 and "does not grant" in bad.output


def test_a_token_s_actor_carries_the_sites_and_unexpired_break_glass_grants(
    app_client: TestClient, container: Container, make_user: Callable[..., Actor], site_id: uuid.UUID, api_as
) -> None:
    from safepassage.security import breakglass
    from safepassage.security.grants import GrantedRecord
    from safepassage.sessions import with_grants

    clerk = make_user("far_clerk", Role.REGISTRATION_CLERK, sites=[site_id])
    created = app_client.post("/api/v1/households", json=household_payload(site_id), headers=api_as(clerk))
    assert created.status_code == 201, created.text
    household_id = uuid.UUID(created.json()["id"])
    boss = make_user("far_boss", Role.SUPERVISOR)  # works for no site
    breakglass.open_break_glass(
        container.uow(),
        record_kind=GrantedRecord.HOUSEHOLD,
        record_id=household_id,
        reason="family tracing request from the ICRC, case 1234",
        minutes=30,
        actor=boss,
    )
    token = security.issue_token(container.uow(), username="far_boss", name="t", actor=ADMIN)
    actor = security.actor_for_token(container.uow(), token, address="10.0.0.5")
    assert actor is not None and actor.site_ids == frozenset() and actor.address == "10.0.0.5"
    granted = with_grants(container, actor)
    assert household_id in granted.granted_records
    # the API builds the same actor for every request: the grant opens the household through it
    assert app_client.get(f"/api/v1/households/{household_id}", headers=bearer(token)).status_code == 200
    container.clock = FixedClock(container.clock.now() + dt.timedelta(minutes=31))
    assert with_grants(container, actor).granted_records == frozenset()
    assert app_client.get(f"/api/v1/households/{household_id}", headers=bearer(token)).status_code == 404
