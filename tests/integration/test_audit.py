"""The audit trail on a real database (SQLite here, PostgreSQL in CI): entries are written in the
action's transaction, concurrent appenders make one chain, `audit verify` names every kind of
tampering, the application cannot change or delete audit rows, and no protected value is ever in it.

Tampering is done the way an intruder with the database (but not the signing key) would: straight
SQL, as the database owner (on SQLite the append-only triggers are dropped first, as anyone holding
the file can)."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from safepassage.cli.main import app
from safepassage.config import Settings
from safepassage.history import ChangeRecord
from safepassage.registry import schemas, services
from safepassage.registry.models import Household
from safepassage.security import audit
from safepassage.security.audit import AuditCheckpoint, AuditEntry, AuditHead
from safepassage.security.audit.chain import GENESIS, ChainEntry, entry_hash
from safepassage.security.audit.verify import verify_chain
from safepassage.security.policy import Actor, Role
from tests.conftest import PASSWORD, household_payload

pytestmark = pytest.mark.db

CANARY = "CANARY-7f3e9b21-protected"  # a protected value that must appear nowhere in the trail


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-" + "x" * 32,
        audit_checkpoint_every=5,
    )


@pytest.fixture
def cli(container, settings, monkeypatch):
    monkeypatch.setenv("SAFEPASSAGE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFEPASSAGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("SAFEPASSAGE_AUDIT_CHECKPOINT_EVERY", "5")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def _entries(container) -> list[AuditEntry]:
    with container.uow() as uow:
        entries = list(uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        uow.session.expunge_all()
        return entries


def _act(container, n: int, *, who: str = "caseworker_homs") -> None:
    """``n`` audited acts, one transaction each."""
    actor = Actor(username=who, role=Role.CASEWORKER, address="10.1.2.3")
    for i in range(n):
        uow = container.uow()
        with uow.acting(actor):
            uow.audit("protected.read", entity="persons", entity_id=uuid.uuid4(), purpose=f"case review {i}")
            uow.commit()


def _report(container):
    keys = audit.public_keys(container.settings)
    with container.uow() as uow:
        return verify_chain(uow.session, keys, audit.checkpoint_file(container.settings))


@contextmanager
def _as_owner(container) -> Iterator[Connection]:
    """A connection with the owner's powers over the audit tables (the intruder's)."""
    with container.engine.begin() as conn:
        triggers = []
        if conn.dialect.name == "sqlite":
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'"
            ).all()
            for name, _ in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield conn
        for _, sql in triggers:
            conn.exec_driver_sql(sql)


# -- appending -------------------------------------------------------------------------------------


def test_every_written_row_of_a_service_is_audited_with_field_names(container, supervisor, site_id):
    cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id))
    household_id = services.register_household(container.uow(), cmd, actor=supervisor)
    entries = _entries(container)
    mine = [e for e in entries if e.actor == "supervisor"]
    actions = {e.action for e in mine}
    assert {"household.create", "person.create", "person_name.create", "document.create"} <= actions
    household = next(e for e in mine if e.action == "household.create")
    assert household.entity == "households" and household.entity_id == str(household_id)
    assert household.site_id == site_id
    assert "site_id" in household.details["fields"]
    # one transaction, one contiguous run of seqs with one moment
    assert len({e.at for e in mine}) == 1
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    with container.uow() as uow:
        head = uow.session.get(AuditHead, 1)
        assert head is not None and head.last_seq == len(entries) and head.last_hash == entries[-1].hash
    assert _report(container).intact


def test_an_act_that_changes_nothing_is_recorded_with_who_where_and_why(container):
    actor = Actor(username="status_officer_1", role=Role.STATUS_OFFICER, address="192.0.2.10")
    person = uuid.uuid4()
    uow = container.uow()
    with uow.acting(actor):
        uow.audit(
            "protected.read", entity="persons", entity_id=person, purpose="asylum interview", flagged=True,
            details={"fields": ["narrative"], "classes": ["protected"]},
        )  # fmt: skip
        uow.commit()
    (entry,) = _entries(container)
    assert (entry.actor, entry.role, entry.address) == ("status_officer_1", "status_officer", "192.0.2.10")
    assert (entry.action, entry.entity_id, entry.purpose, entry.flagged) == (
        "protected.read", str(person), "asylum interview", True,
    )  # fmt: skip
    assert entry.details == {"fields": ["narrative"], "classes": ["protected"]}
    assert entry.prev_hash == GENESIS and entry.id.version == 7


def test_a_failing_append_rolls_the_action_back(container, supervisor, site_id, monkeypatch):
    def broken(session, events):
        raise RuntimeError("disk full")

    monkeypatch.setattr(container.audit_trail, "append", broken)
    cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id))
    with container.uow() as uow:
        before = uow.session.scalar(select(text("count(*)")).select_from(ChangeRecord))
    with pytest.raises(RuntimeError, match="disk full"):
        services.register_household(container.uow(), cmd, actor=supervisor)
    with container.uow() as uow:
        assert uow.session.scalars(select(Household)).all() == []
        assert uow.session.scalar(select(text("count(*)")).select_from(ChangeRecord)) == before


def test_a_statement_failing_in_the_append_commits_nothing(container, supervisor, site_id):
    """On PostgreSQL the entries, the checkpoint, the head's move and the COMMIT go in one pipeline: a
    statement that fails in it (here a checkpoint row already at the seq that falls due) must leave
    neither the act nor any entry behind, and the next act must append where the chain stopped."""

    def head() -> int:
        with container.uow() as uow:
            return int(uow.session.scalar(select(AuditHead.last_seq)) or 0)

    while head() % 5 != 4:  # checkpoints every 5 entries: the next entry makes one
        _act(container, 1)
    last = head()
    with _as_owner(container) as conn:
        conn.execute(
            AuditCheckpoint.__table__.insert().values(
                seq=last + 1, hash="0" * 64, at=container.clock.now(), signature="x", key_id="x"
            )
        )
    uow = container.uow()
    with pytest.raises(Exception, match=r"(?i)unique|duplicate key"), uow.acting(supervisor):
        uow.session.add(
            Household(site_id=site_id, status="active", created_at=uow.now(), updated_at=uow.now())
        )
        uow.commit()  # one entry (household.create) at last + 1: its checkpoint collides
    with container.uow() as uow:
        assert uow.session.scalars(select(Household)).all() == []
    assert head() == last and _entries(container)[-1].seq == last
    with _as_owner(container) as conn:
        conn.execute(AuditCheckpoint.__table__.delete().where(AuditCheckpoint.seq == last + 1))
    _act(container, 1)
    assert head() == last + 1 and [e.seq for e in _entries(container)] == list(range(1, last + 2))
    assert _report(container).intact


def test_a_commit_past_the_unit_of_work_is_refused(container, supervisor, site_id):
    """Writes committed with ``session.commit()`` would miss their audit entries: refused."""
    uow = container.uow()
    with uow.acting(supervisor):
        uow.session.add(
            Household(site_id=site_id, status="active", created_at=uow.now(), updated_at=uow.now())
        )
        with pytest.raises(RuntimeError, match=r"uow\.commit\(\)"):
            uow.session.commit()
    with container.uow() as uow:
        assert uow.session.scalars(select(Household)).all() == []
    assert _entries(container) == [] or all(e.action != "household.create" for e in _entries(container))


def test_a_missing_signing_key_fails_the_action(container, supervisor, site_id, tmp_path):
    container.audit_trail.key_file = tmp_path / "nowhere" / "x" / "key"
    container.audit_trail._signer = None
    (tmp_path / "nowhere").mkdir()
    (tmp_path / "nowhere" / "x").write_text("not a folder")  # the key can be neither read nor made
    cmd = schemas.HouseholdCreate.model_validate(household_payload(site_id))
    with pytest.raises(OSError):
        services.register_household(container.uow(), cmd, actor=supervisor)
    with container.uow() as uow:
        assert uow.session.scalars(select(Household)).all() == []


def test_concurrent_appenders_make_one_unbroken_chain(container):
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            _act(container, 15, who=f"worker_{k}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entries = _entries(container)
    assert [e.seq for e in entries] == list(range(1, 61))
    assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(entries))
    report = _report(container)
    assert report.intact, report.problems
    assert report.checkpoints == 12 and report.file_checkpoints == 12  # every 5 entries


def test_checkpoints_every_n_entries_in_the_database_and_the_file(container):
    _act(container, 12)
    with container.uow() as uow:
        seqs = list(uow.session.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)))
    assert seqs == [5, 10]
    lines = audit.checkpoint_file(container.settings).read_text().splitlines()
    assert [int(line.split('"seq": ')[1].split(",")[0]) for line in lines] == [5, 10]
    point = container.audit_trail.checkpoint(container.uow())
    assert point is not None and point.seq == 12
    assert _report(container).file_checkpoints == 3


def test_the_signing_key_is_made_private(container):
    _act(container, 1)
    key = audit.key_file(container.settings)
    assert key.stat().st_mode & 0o777 == 0o600


# -- tampering --------------------------------------------------------------------------------------


def _verify_cli(cli, *extra: str):
    result = cli("audit", "verify", *extra)
    return result.exit_code, result.output


def test_verify_passes_an_untouched_chain(container, cli):
    _act(container, 7)
    code, output = _verify_cli(cli)
    assert code == 0, output
    assert "intact" in output


def test_verify_finds_a_changed_field(container, cli):
    _act(container, 8)
    with _as_owner(container) as conn:
        conn.execute(text("UPDATE audit_entries SET purpose = 'nothing to see' WHERE seq = 4"))
    code, output = _verify_cli(cli)
    assert code == 1
    assert "first broken entry at seq 4: changed" in output


def test_verify_finds_a_deleted_entry(container, cli):
    _act(container, 8)
    with _as_owner(container) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    code, output = _verify_cli(cli)
    assert code == 1
    assert "first broken entry at seq 3: deleted" in output


def test_verify_finds_reordered_entries(container, cli):
    _act(container, 8)
    with _as_owner(container) as conn:
        conn.execute(text("UPDATE audit_entries SET seq = -6 WHERE seq = 6"))
        conn.execute(text("UPDATE audit_entries SET seq = 6 WHERE seq = 7"))
        conn.execute(text("UPDATE audit_entries SET seq = 7 WHERE seq = -6"))
    code, output = _verify_cli(cli)
    assert code == 1
    assert "first broken entry at seq 6: reordered" in output


def test_verify_finds_a_truncated_tail(container, cli):
    _act(container, 8)
    with _as_owner(container) as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq > 6"))
    code, output = _verify_cli(cli)
    assert code == 1
    assert "first broken entry at seq 7: truncated" in output


def _rewrite_chain(conn: Connection, change: dict[str, Any]) -> None:
    """Change entry 2 and recompute every hash after it, as someone without the key would."""
    rows = conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq)).mappings().all()
    prev = GENESIS
    for row in rows:
        values = {k: row[k] for k in ChainEntry.__dataclass_fields__ if k != "hash"}
        if row["seq"] == 2:
            values.update(change)
        values["prev_hash"] = prev
        prev = entry_hash(ChainEntry(**values))
        conn.execute(
            AuditEntry.__table__.update()
            .where(AuditEntry.seq == row["seq"])
            .values(**{k: v for k, v in values.items() if k != "seq"}, hash=prev)
        )
    last = rows[-1]["seq"]
    conn.execute(
        AuditHead.__table__.update().values(last_seq=last, last_hash=prev)
    )  # the old signature stays
    conn.execute(AuditCheckpoint.__table__.delete())  # they would give it away


def test_verify_finds_a_chain_recomputed_without_the_signing_key(container, cli):
    _act(container, 4)  # below the first checkpoint: only the head's signature can tell
    with _as_owner(container) as conn:
        _rewrite_chain(conn, {"actor": "someone_else"})
    entries = _entries(container)
    assert all(
        e.hash == entry_hash(ChainEntry(**{k: getattr(e, k) for k in ChainEntry.__dataclass_fields__}))
        for e in entries
    )
    code, output = _verify_cli(cli)
    assert code == 1
    assert "forged" in output and "changed" not in output and "deleted" not in output


def test_verify_finds_a_database_restored_to_an_older_state(container, cli, tmp_path):
    _act(container, 7)
    with container.engine.connect() as conn:  # the "backup": entries 1-7 and the head signed at 7
        head = conn.execute(select(AuditHead.__table__)).mappings().one()
    _act(container, 6)  # 8-13; checkpoint at 10 written to the file
    with _as_owner(container) as conn:  # restore the backup
        conn.execute(text("DELETE FROM audit_entries WHERE seq > 7"))
        conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > 7"))
        conn.execute(AuditHead.__table__.update().values(**dict(head)))
    empty = tmp_path / "no-checkpoints.jsonl"
    empty.write_text("")
    code, output = _verify_cli(cli, "--checkpoints", str(empty))
    assert code == 0, output  # the database alone is consistent: a backup is a genuine older state
    code, output = _verify_cli(cli)
    assert code == 1
    assert "first broken entry at seq 8: truncated" in output
    assert "restored to an older state" in output


def test_verify_with_an_exported_public_key_and_a_wrong_one(container, cli, tmp_path):
    _act(container, 3)
    pem = tmp_path / "audit.pub"
    assert cli("audit", "public-key", "--out", str(pem)).exit_code == 0
    code, output = _verify_cli(cli, "--public-key", str(pem))
    assert code == 0, output
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from safepassage.security.audit.signing import public_pem

    other = tmp_path / "other.pub"
    other.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    code, output = _verify_cli(cli, "--public-key", str(other))
    assert code == 1 and "forged" in output


# -- immutability -----------------------------------------------------------------------------------


def test_sqlite_triggers_refuse_to_change_or_delete_audit_rows(container):
    if container.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's triggers; PostgreSQL's grants are tested below")
    _act(container, 5)  # and a checkpoint at 5
    for statement in (
        "UPDATE audit_entries SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 5",
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
    ):
        with pytest.raises(DBAPIError, match="append-only"), container.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(_entries(container)) == 5


def test_the_app_role_cannot_change_or_delete_audit_rows_on_postgresql(container):
    if container.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's grants; SQLite's triggers are tested above")
    _act(container, 5)
    refused = (
        "UPDATE audit_entries SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 5",
        "TRUNCATE audit_entries CASCADE",
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
        "DELETE FROM audit_head",
    )
    for statement in refused:
        with pytest.raises(DBAPIError, match="permission denied"), container.engine.begin() as conn:
            conn.execute(text("SET LOCAL ROLE safepassage_app"))
            conn.execute(text(statement))
    # what the application does need, it may: read, append, move the head
    with container.engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE safepassage_app"))
        assert conn.execute(text("SELECT count(*) FROM audit_entries")).scalar() == 5
        conn.execute(text("UPDATE audit_head SET last_seq = last_seq WHERE id = 1"))
        conn.execute(text("SELECT count(*) FROM persons")).scalar()
        conn.execute(text("ROLLBACK"))  # nothing to keep
    assert len(_entries(container)) == 5


# -- no protected value -----------------------------------------------------------------------------


def test_no_protected_value_ever_reaches_the_trail(container, supervisor, site_id):
    payload = household_payload(site_id)
    payload["members"][0]["protection"] = {  # type: ignore[index]
        "purpose": "protection_case",
        "religion": CANARY + "-religion",
        "ethnicity": CANARY + "-ethnicity",
        "narrative": CANARY + "-narrative",
        "medical_detail": CANARY + "-medical",
    }
    cmd = schemas.HouseholdCreate.model_validate(payload)
    household_id = services.register_household(container.uow(), cmd, actor=supervisor)
    with container.uow() as uow:
        person_id = (
            uow.session.scalars(select(Household).where(Household.id == household_id)).one().members[0].id
        )
    services.update_person(
        container.uow(),
        person_id,
        schemas.PersonUpdate(protection=schemas.ProtectionInput(narrative=CANARY + "-updated")),
        actor=supervisor,
    )
    with container.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_entries")).all()
        rows += conn.execute(text("SELECT * FROM audit_checkpoints")).all()
        rows += conn.execute(text("SELECT * FROM audit_head")).all()
    dump = "\n".join(repr(tuple(r)) for r in rows)
    assert "protection_attribute" in dump  # the writes are there, by field name
    assert "narrative" in dump
    assert CANARY not in dump
    protected = [e for e in _entries(container) if e.entity == "protection_attributes"]
    assert {e.action for e in protected} == {"protection_attributes.create", "protection_attributes.update"}
    assert all(e.details.get("classes") == ["protected"] for e in protected)


# -- reading ----------------------------------------------------------------------------------------


def test_auditors_read_the_trail_over_the_api_and_others_cannot(
    container, app_client, api_as, auditor, clerk_aleppo
):
    _act(container, 6, who="caseworker_homs")
    theirs = [e.seq for e in reversed(_entries(container)) if e.actor == "caseworker_homs"]
    headers = api_as(auditor)
    first = app_client.get("/api/v1/audit", params={"limit": 4, "actor": "caseworker_homs"}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [e["seq"] for e in body["items"]] == theirs[:4]  # newest first
    assert body["items"][0]["purpose"] == "case review 5" and body["items"][0]["address"] == "10.1.2.3"
    second = app_client.get(
        "/api/v1/audit",
        params={"limit": 4, "actor": "caseworker_homs", "cursor": body["next_cursor"]},
        headers=headers,
    )
    assert [e["seq"] for e in second.json()["items"]] == theirs[4:] and second.json()["next_cursor"] is None
    only = app_client.get("/api/v1/audit", params={"action": "protected"}, headers=headers).json()
    assert {e["action"] for e in only["items"]} == {"protected.read"}
    verified = app_client.get("/api/v1/audit/verify", headers=headers)
    assert verified.status_code == 200 and verified.json()["intact"] is True
    assert app_client.get("/api/v1/audit", headers=api_as(clerk_aleppo)).status_code == 403
    assert app_client.get("/api/v1/audit/verify", headers=api_as(clerk_aleppo)).status_code == 403
    assert app_client.get("/api/v1/audit").status_code == 401


def test_cli_lists_and_checkpoints(container, cli):
    _act(container, 3, who="caseworker_homs")
    uow = container.uow()
    with uow.acting(Actor(username="clerk[/]", role=Role.REGISTRATION_CLERK)):
        uow.audit("person.read", purpose="[/bold] not markup [red]")  # shown as typed, no crash
        uow.commit()
    assert cli("audit", "list").exit_code == 0
    listed = cli("audit", "list", "--actor", "caseworker_homs", "--limit", "2")
    assert listed.exit_code == 0, listed.output
    assert "more: older entries before seq" in listed.output
    made = cli("audit", "checkpoint")
    assert made.exit_code == 0 and "checkpoint at seq 4" in made.output
    assert cli("audit", "list", "--flagged").exit_code == 0


def _sign_in(client, username: str) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/audit"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_the_auditor_page_lists_and_verifies_and_nobody_else_sees_it(
    container, app_client, auditor, clerk_aleppo
):
    _act(container, 3, who="caseworker_homs")
    assert app_client.get("/audit", follow_redirects=False).status_code in (302, 303)  # to the login
    _sign_in(app_client, "auditor")
    page = app_client.get("/audit", params={"actor": "caseworker_homs"})
    assert page.status_code == 200
    assert page.text.count("protected.read") == 3 and "case review 2" in page.text
    verified = app_client.get("/audit", params={"verify": "1"})
    assert verified.status_code == 200 and "Intact" in verified.text
    with _as_owner(container) as conn:
        conn.execute(text("UPDATE audit_entries SET purpose = 'rewritten' WHERE seq = 2"))
    tampered = app_client.get("/audit", params={"verify": "1"})
    assert "Tampered with" in tampered.text and "changed" in tampered.text
    app_client.post(
        "/logout",
        data={"csrf_token": tampered.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]},
    )
    _sign_in(app_client, "clerk_aleppo")
    assert app_client.get("/audit").status_code == 403
