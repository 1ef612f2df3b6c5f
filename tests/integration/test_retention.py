"""Minimisation: protected details only for a stated purpose, kept only as long as it allows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from safepassage.registry import schemas, services
from safepassage.registry.models import ProtectionAttributes
from safepassage.security.audit.models import AuditEntry
from safepassage.shared.clock import FixedClock
from safepassage.shared.errors import Invalid
from tests.conftest import household_payload

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


def _register(container, supervisor, site_id, protection):
    payload = household_payload(site_id)
    payload["members"][0]["protection"] = protection
    cmd = schemas.HouseholdCreate.model_validate(payload)
    household = services.register_household_returning(container.uow(), cmd, actor=supervisor)
    return household.members[0].id


def test_protected_details_need_a_collection_purpose(container, supervisor, site_id):
    with pytest.raises(Invalid) as caught:
        _register(container, supervisor, site_id, {"religion": "synthetic faith"})
    assert [p.field for p in caught.value.problems] == ["protection.purpose"]


def test_details_past_their_retention_are_removed_and_audited(container, supervisor, site_id):
    container.clock = FixedClock(NOW)
    medical = _register(
        container, supervisor, site_id, {"purpose": "medical_care", "medical_detail": "dialysis (synthetic)"}
    )
    status = _register(
        container, supervisor, site_id, {"purpose": "status_determination", "narrative": "synthetic account"}
    )
    with container.uow() as uow:
        kept = uow.session.get(ProtectionAttributes, medical)
        assert kept.retain_until == NOW + dt.timedelta(days=730)
    container.clock = FixedClock(NOW + dt.timedelta(days=731))
    dry = services.apply_retention(container.uow(), actor=supervisor, dry_run=True)
    assert (dry.expired, dry.by_purpose) == (1, {"medical_care": 1})
    with container.uow() as uow:
        assert uow.session.get(ProtectionAttributes, medical).medical_detail is not None  # dry run
    done = services.apply_retention(container.uow(), actor=supervisor)
    assert done.person_ids == [medical]
    with container.uow() as uow:
        gone = uow.session.get(ProtectionAttributes, medical)
        assert gone.medical_detail is None and gone.purpose is None and gone.retain_until is None
        assert uow.session.get(ProtectionAttributes, status).narrative is not None  # 10 years
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "protection.expired")).one()
        assert entry.entity_id == str(medical) and entry.details["fields"] == ["medical_detail"]
        assert "dialysis" not in str(entry.details) + (entry.purpose or "")
    assert services.apply_retention(container.uow(), actor=supervisor).expired == 0


def test_the_retention_period_follows_the_settings(container, supervisor, site_id):
    container.clock = FixedClock(NOW)
    container.settings.protection_retention_days["resettlement"] = 30
    person = _register(container, supervisor, site_id, {"purpose": "resettlement", "religion": "synthetic"})
    with container.uow() as uow:
        assert uow.session.get(ProtectionAttributes, person).retain_until == NOW + dt.timedelta(days=30)
