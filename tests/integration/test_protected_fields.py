"""Protected fields sealed under site keys: written through the services, read only with the
permission and a stated purpose (audited), bound to their record and field, rotated without loss,
and, the canary test, found nowhere in plaintext afterwards."""

from __future__ import annotations

import logging
import re
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from safepassage.bootstrap import Container, bootstrap
from safepassage.config import Settings
from safepassage.db import Base
from safepassage.history import ChangeRecord
from safepassage.registry import queries, schemas, services
from safepassage.registry.exporting import export_csv, request_export
from safepassage.registry.models import PROTECTED_FIELDS, ProtectionAttributes
from safepassage.registry.protection import reseal_site
from safepassage.security.audit.models import AuditEntry
from safepassage.security.keys import KeyState, SiteKey
from safepassage.security.keys.usecases import key_status, rotate_kek, rotate_site_key
from safepassage.security.policy import Actor, Role
from safepassage.shared.errors import Forbidden, Invalid

pytestmark = pytest.mark.db

KEY_ADMIN = Actor(username="keys-admin", role=Role.ADMINISTRATOR, all_sites=True)
PURPOSE = "status determination interview"


def protection(marker: str) -> schemas.ProtectionInput:
    return schemas.ProtectionInput(
        purpose="protection_case",
        religion=f"{marker}-religion",
        ethnicity=f"{marker}-ethnicity",
        narrative=f"{marker}-narrative: fled after threats",
        medical_detail=f"{marker}-medical",
    )


def register(container: Container, actor: Actor, site_id: uuid.UUID, marker: str | None = None) -> uuid.UUID:
    """One household of one person (with protection attributes carrying ``marker``); the person's id."""
    cmd = schemas.HouseholdCreate.model_validate(
        {
            "site_id": str(site_id),
            "category": "citizen",
            "intention": "leave_now",
            "members": [
                {
                    "given_name": "Layla",
                    "family_name": "Testperson",
                    "sex": "female",
                    "birth_date": {"value": "1990"},
                    **({"protection": protection(marker).model_dump()} if marker else {}),
                }
            ],
        }
    )
    household_id = services.register_household(container.uow(), cmd, actor=actor)
    return queries.get_household(container.uow(), household_id, actor=actor).members[0].id


def read(container: Container, actor: Actor, person_id: uuid.UUID) -> schemas.ProtectionRead:
    found = queries.get_person(
        container.uow(), person_id, actor=actor, include_protection=True, purpose=PURPOSE
    )
    assert found.protection is not None
    return found.protection


@pytest.fixture
def caseworker(make_user: Callable[..., Actor], site_id: uuid.UUID) -> Actor:
    return make_user("caseworker", Role.CASEWORKER, sites=[site_id])


def test_values_are_sealed_under_the_site_key_and_read_back(container, supervisor, site_id):
    person_id = register(container, supervisor, site_id, "MK1")
    with container.uow() as uow:
        row = uow.session.get(ProtectionAttributes, person_id)
        assert row is not None
        for name in PROTECTED_FIELDS:
            stored = getattr(row, name)
            assert stored.startswith(f"spf1:{site_id}:1:") and "MK1" not in stored
        keys = [(k.site_id, k.version, k.state, k.key_ref) for k in uow.session.scalars(select(SiteKey))]
    assert [k[:3] for k in keys] == [(site_id, 1, KeyState.ACTIVE)]
    key_file = container.keys.store.path(site_id, keys[0][3])
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    shown = read(container, supervisor, person_id)
    assert shown.religion == "MK1-religion" and shown.medical_detail == "MK1-medical"


def test_a_partial_update_seals_only_what_changed_and_blank_clears(container, supervisor, site_id):
    person_id = register(container, supervisor, site_id, "MK2")
    services.update_person(
        container.uow(),
        person_id,
        schemas.PersonUpdate(protection=schemas.ProtectionInput(ethnicity="MK2-new", medical_detail="")),
        actor=supervisor,
    )
    shown = read(container, supervisor, person_id)
    assert (shown.religion, shown.ethnicity, shown.medical_detail) == ("MK2-religion", "MK2-new", None)


def test_reading_needs_a_purpose_and_every_read_is_audited(container, caseworker, supervisor, site_id):
    person_id = register(container, supervisor, site_id, "MK3")
    with pytest.raises(Invalid) as refused:
        queries.get_person(container.uow(), person_id, actor=caseworker, include_protection=True)
    assert refused.value.problems[0].field == "purpose"
    read(container, caseworker, person_id)
    with container.uow() as uow:
        entries = [
            (e.actor, e.entity, e.entity_id, e.site_id, e.purpose, e.details)
            for e in uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "protected.read"))
        ]
    assert len(entries) == 1
    *who, details = entries[0]
    assert who == ["caseworker", "person", str(person_id), site_id, PURPOSE]
    assert sorted(details["fields"]) == sorted(PROTECTED_FIELDS)
    assert "MK3" not in str(details)


def test_roles_without_protected_read_are_refused(container, supervisor, clerk_aleppo, site_id):
    person_id = register(container, supervisor, site_id, "MK4")
    with pytest.raises(Forbidden):
        queries.get_person(
            container.uow(), person_id, actor=clerk_aleppo, include_protection=True, purpose=PURPOSE
        )


def test_the_api_asks_for_a_purpose_by_name(app_client: TestClient, api_as, container, supervisor, site_id):
    person_id = register(container, supervisor, site_id, "MK5")
    headers = api_as(supervisor)
    url = f"/api/v1/persons/{person_id}/protection/open"
    missing = app_client.post(url, json={"purpose": ""}, headers=headers)
    assert missing.status_code == 422
    assert [p["field"] for p in missing.json()["error"]["problems"]] == ["purpose"]
    plain = app_client.get(f"/api/v1/persons/{person_id}", headers=headers)
    assert plain.status_code == 200 and plain.json()["protection"] is None and "MK5" not in plain.text
    opened = app_client.post(url, json={"purpose": PURPOSE}, headers=headers)
    assert opened.status_code == 200, opened.text
    assert opened.json()["protection"]["narrative"] == "MK5-narrative: fled after threats"


def test_a_purpose_in_an_address_is_refused_and_opens_nothing(
    app_client: TestClient, api_as, container, supervisor, site_id
):
    person_id = register(container, supervisor, site_id, "MK6")
    headers = api_as(supervisor)
    for params, field in (
        ({"include": "protection", "purpose": PURPOSE}, "include"),
        ({"purpose": PURPOSE}, "purpose"),
    ):
        r = app_client.get(f"/api/v1/persons/{person_id}", params=params, headers=headers)
        assert r.status_code == 422 and "MK6" not in r.text
        problem = r.json()["error"]["problems"][0]
        assert problem["field"] == field and "/protection/open" in problem["reason"]


def test_an_opened_answer_is_never_kept_for_an_idempotent_replay(
    app_client: TestClient, api_as, container, supervisor, site_id
):
    person_id = register(container, supervisor, site_id, "MK7")
    headers = {**api_as(supervisor), "Idempotency-Key": "open-once"}
    url = f"/api/v1/persons/{person_id}/protection/open"
    for _ in range(2):  # the second is answered afresh (and audited again), not replayed
        r = app_client.post(url, json={"purpose": PURPOSE}, headers=headers)
        assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    with container.engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM idempotency_records")).scalars().all()
    assert not any(b and b"MK7" in bytes(b) for b in bodies)


def test_a_value_moved_to_another_person_or_field_does_not_open(container, supervisor, site_id):
    a = register(container, supervisor, site_id, "MKA")
    b = register(container, supervisor, site_id, "MKB")
    with container.engine.begin() as conn:  # someone with write access to the database moves values
        stolen = (
            conn.execute(
                text("SELECT religion FROM protection_attributes WHERE person_id = :a"), {"a": a.hex}
            ).scalar_one_or_none()
            or conn.execute(
                select(ProtectionAttributes.religion).where(ProtectionAttributes.person_id == a)
            ).scalar_one()
        )
        conn.execute(
            ProtectionAttributes.__table__.update()
            .where(ProtectionAttributes.person_id == b)
            .values(religion=stolen, ethnicity=stolen)
        )
    shown = read(container, supervisor, b)
    assert shown.religion == schemas.Withheld(state="damaged")
    assert shown.ethnicity == schemas.Withheld(state="damaged")
    assert shown.narrative == "MKB-narrative: fled after threats"  # the rest of the record still reads
    assert read(container, supervisor, a).religion == "MKA-religion"


def test_a_site_key_rotation_keeps_old_values_readable_and_reencrypts(container, supervisor, site_id):
    old = register(container, supervisor, site_id, "MK6")
    assert rotate_site_key(container.uow(), site_id, actor=KEY_ADMIN) == 2
    new = register(container, supervisor, site_id, "MK7")
    with container.uow() as uow:
        states = {k.version: k.state for k in uow.session.scalars(select(SiteKey))}
        old_row = uow.session.get(ProtectionAttributes, old)
        new_row = uow.session.get(ProtectionAttributes, new)
        assert old_row is not None and new_row is not None
        assert old_row.religion.startswith(f"spf1:{site_id}:1:")
        assert new_row.religion.startswith(f"spf1:{site_id}:2:")
    assert states == {1: KeyState.RETIRED, 2: KeyState.ACTIVE}
    assert read(container, supervisor, old).religion == "MK6-religion"
    report = reseal_site(container.uow(), site_id, actor=KEY_ADMIN, batch=1)
    assert (report.persons, report.resealed, report.shredded) == (2, 4, 0)
    with container.uow() as uow:
        row = uow.session.get(ProtectionAttributes, old)
        assert row is not None
        assert all(getattr(row, f).startswith(f"spf1:{site_id}:2:") for f in PROTECTED_FIELDS)
    assert read(container, supervisor, old).narrative == "MK6-narrative: fled after threats"
    with pytest.raises(Forbidden):
        rotate_site_key(container.uow(), site_id, actor=supervisor)  # key management is not a supervisor's


def test_values_written_before_field_encryption_are_sealed_by_reencrypt(container, supervisor, site_id):
    person_id = register(container, supervisor, site_id)
    with container.engine.begin() as conn:  # a row as release 0.1 stored it: plaintext
        conn.execute(
            ProtectionAttributes.__table__.insert().values(person_id=person_id, religion="MK8-legacy")
        )
    assert read(container, supervisor, person_id).religion == schemas.Withheld(state="damaged")
    report = reseal_site(container.uow(), site_id, actor=KEY_ADMIN)
    assert report.resealed == 1
    assert read(container, supervisor, person_id).religion == "MK8-legacy"


def test_a_kek_rotation_rewraps_every_key_and_old_values_still_read(container, supervisor, site_id, settings):
    person_id = register(container, supervisor, site_id, "MK9")
    before = container.keys.ring.current.key_id
    result = rotate_kek(container.uow(), actor=KEY_ADMIN, new_key=True, destroy_previous=False)
    assert result.kek_id != before and result.rewrapped == 1
    status = key_status(container.uow(), actor=KEY_ADMIN)
    assert status.kek_id == result.kek_id and before in status.previous_kek_ids and status.stale_wraps == 0
    assert [k.kek_id for k in status.keys] == [result.kek_id]
    # a process started now (no cached keys) reads through the new KEK
    fresh = bootstrap(settings)
    try:
        assert read(fresh, supervisor, person_id).religion == "MK9-religion"
        # the old KEK destroyed: a new process still reads, the old KEK is gone from the ring
        rotate_kek(fresh.uow(), actor=KEY_ADMIN, new_key=False, destroy_previous=True)
    finally:
        fresh.dispose()
    again = bootstrap(settings)
    try:
        assert again.keys.ring.by_id(before) is None
        assert read(again, supervisor, person_id).religion == "MK9-religion"
    finally:
        again.dispose()


def test_a_process_without_the_kek_cannot_open_anything(container, supervisor, site_id, settings, tmp_path):
    person_id = register(container, supervisor, site_id, "MK10")
    elsewhere = Settings(
        database_url=settings.database_url,
        var_dir=settings.var_dir,
        secret_key=settings.secret_key,
        kek_file=tmp_path / "another" / "kek.key",
    )
    thief = bootstrap(elsewhere)
    try:
        shown = read(thief, supervisor, person_id)
    finally:
        thief.dispose()
    assert shown.religion == schemas.Withheld(state="unavailable")  # and no new KEK was made
    assert not (tmp_path / "another" / "kek.key").exists()


# --- the canary -----------------------------------------------------------------------------------


def _database_bytes(container: Container, settings: Settings, tmp_path: Path) -> bytes:
    """Everything the database holds, as an attacker with its files (or a dump) would see it."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        data = b"".join(
            p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
        )
        backup = tmp_path / "backup.db"  # a backup taken with SQLite's online backup API
        source, target = sqlite3.connect(path), sqlite3.connect(backup)
        with target:
            source.backup(target)
        source.close()
        target.close()
        return data + backup.read_bytes()
    chunks: list[bytes] = []
    raw = container.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table in Base.metadata.sorted_tables:
            with cursor.copy(f'COPY "{table.name}" TO STDOUT') as copy:  # type: ignore[attr-defined]
                chunks.extend(bytes(block) for block in copy)
    finally:
        raw.close()
    return b"".join(chunks)


def test_canary_markers_are_nowhere_in_plaintext(
    container, settings, supervisor, caseworker, site_id, app_client, api_as, caplog, tmp_path
):
    # Mixed case, so that no folded search key made from it (the name keys lower-case it, the
    # document key upper-cases it) is the marker again: the searches below put those keys in the SQL
    # log. An upper-case marker whose random part drew only digits came back as its own document key.
    marker = f"Canary{uuid.uuid4().hex[:12]}x"
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)  # every statement and its parameters
    try:
        # written through every service path that takes protection attributes
        person_id = register(container, supervisor, site_id, f"{marker}a")
        services.update_person(
            container.uow(),
            person_id,
            schemas.PersonUpdate(protection=protection(f"{marker}b")),
            actor=supervisor,
        )
        household = queries.get_person(container.uow(), person_id, actor=supervisor).household_id
        assert household is not None
        services.add_person(
            container.uow(),
            household,
            schemas.PersonCreate.model_validate(
                {
                    "given_name": "Sami",
                    "relationship_to_head": "child",
                    "protection": protection(f"{marker}c").model_dump(),
                }
            ),
            actor=supervisor,
        )
        r = app_client.patch(
            f"/api/v1/persons/{person_id}",
            json={"protection": protection(f"{marker}d").model_dump()},
            headers=api_as(caseworker),
        )
        assert r.status_code == 200, r.text
        assert marker not in r.text  # a write's answer does not echo them
        # and read back, audited (a read must not leak them elsewhere either)
        assert read(container, caseworker, person_id).religion == f"{marker}d-religion"
        for q in (marker, f"{marker}d-religion"):  # not a search key
            found = queries.list_persons(container.uow(), queries.PersonFilter(q=q), actor=supervisor)
            assert found.items == []
        request = request_export(container.uow(), purpose="canary check export", actor=supervisor)
        exported = tmp_path / "export.csv"
        export_csv(container.uow(), exported, request_id=request.id, actor=supervisor)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    needle = marker.encode()
    # positive controls: each place looked at does hold the record's ordinary data
    assert "INSERT INTO protection_attributes" in caplog.text
    assert b"Layla" in exported.read_bytes()
    assert marker not in caplog.text, "a protected value reached the logs"
    assert needle not in exported.read_bytes(), "a protected value reached an export"
    with container.uow() as uow:
        history = [
            (c.old_value or "") + (c.new_value or "") for c in uow.session.scalars(select(ChangeRecord))
        ]
        audit = [str(a.details) + (a.purpose or "") for a in uow.session.scalars(select(AuditEntry))]
    assert history and not any(marker in h for h in history), "a protected value reached the history"
    assert audit and not any(marker in a for a in audit), "a protected value reached the audit trail"
    stored = _database_bytes(container, settings, tmp_path)
    assert b"Testperson" in stored
    assert needle not in stored, "plaintext in the database or a backup"
    keys_dir = Path(settings.var_dir) / "keys"
    assert all(needle not in p.read_bytes() for p in keys_dir.rglob("*") if p.is_file())


# --- the commands ---------------------------------------------------------------------------------


def test_the_key_commands(container, settings, supervisor, site_id, monkeypatch):
    from typer.testing import CliRunner

    from safepassage.cli.main import app

    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    runner = CliRunner()

    def cli(*args: str):
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    kek_file = Path(settings.var_dir) / "keys" / "kek.key"
    assert not kek_file.exists()
    first_kek = re.findall(r"kek-[0-9a-f]{16}", cli("keys", "init"))[0]
    assert kek_file.exists() and kek_file.stat().st_mode & 0o777 == 0o600
    assert re.findall(r"kek-[0-9a-f]{16}", cli("keys", "init")) == [first_kek]  # never replaced
    person_id = register(container, supervisor, site_id, "CMD")
    status = cli("keys", "status")
    assert first_kek in status and "ALP-AP" in status and "active" in status
    assert "version 2 is now current" in cli("keys", "rotate-site", "ALP-AP", "--reencrypt", "--batch", "1")
    rotated = cli("keys", "rotate-kek")
    assert "2 key files re-wrapped" in rotated  # the retired version too and ".retired" in rotated
    assert "previous KEKs still accepted: " + first_kek in " ".join(cli("keys", "status").split())
    cli("keys", "rotate-kek", "--rewrap-only", "--destroy-previous")
    assert first_kek not in cli("keys", "status")
    with container.uow() as uow:
        row = uow.session.get(ProtectionAttributes, person_id)
        assert row is not None and row.narrative.startswith(f"spf1:{site_id}:2:")
    fresh = bootstrap(settings)
    try:
        assert read(fresh, supervisor, person_id).narrative == "CMD-narrative: fled after threats"
    finally:
        fresh.dispose()
    bad = runner.invoke(app, ["keys", "rotate-site", "NOPE"])
    assert bad.exit_code == 2 and "NOPE" in bad.output


def test_the_person_page_asks_why_before_showing_them(app_client, container, supervisor, caseworker, site_id):
    from tests.conftest import csrf_field, web_sign_in

    person_id = register(container, supervisor, site_id, "PAGE")
    web_sign_in(app_client, container, "caseworker")
    page = app_client.get(f"/persons/{person_id}")
    assert page.status_code == 200 and 'id="form-purpose"' in page.text and "PAGE-" not in page.text
    token = csrf_field(page.text)
    opening = f"/persons/{person_id}/protection/open"
    short = app_client.post(opening, data={"csrf_token": token, "purpose": "x"})
    assert short.status_code == 422 and "at least 5 characters" in short.text and "PAGE-" not in short.text
    shown = app_client.post(opening, data={"csrf_token": token, "purpose": PURPOSE})
    assert shown.status_code == 200 and "PAGE-religion" in shown.text and "PAGE-medical" in shown.text
    with container.uow() as uow:
        purposes = list(
            uow.session.scalars(select(AuditEntry.purpose).where(AuditEntry.action == "protected.read"))
        )
    assert purposes == [PURPOSE]
