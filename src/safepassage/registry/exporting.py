"""Export persons to CSV in the import's own column layout (a round trip re-imports as nothing new).

An export is asked for first (``request_export``), with a purpose; the request counts the rows and
names the field classes. Over ``APPROVAL_ROWS`` rows, or with protected fields, a second supervisor
must approve it (``decide_export``) before its requester can produce the file once (``export_csv``).
Every step is on the audit trail with the row count and field classes, and every row of the file
carries the request's id (``export_id``): the export's mark.

Protected attributes are never exported here. With ``partner``, only persons whose consent to share
with that partner is in force are written: a withdrawal takes effect at the next export.
"""

from __future__ import annotations

import csv
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from safepassage.registry.codes import ConsentPurpose, NamePart
from safepassage.registry.models import Person, Site
from safepassage.registry.queries import consent_in_force_filter
from safepassage.registry.scoping import in_scope
from safepassage.security.grants import ExportRequest, ExportState
from safepassage.security.policy import Actor, FieldClass, Permission, require, require_site
from safepassage.shared.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

MIN_PURPOSE = 10

COLUMNS = [
    "person_id",
    "household",
    "relationship",
    "given_name",
    "father_name",
    "grandfather_name",
    "family_name",
    "other_spellings",
    "sex",
    "birth_date",
    "birth_date_precision",
    "birth_date_estimated",
    "place_of_birth",
    "nationality",
    "languages",
    "document_type",
    "document_number",
    "document_country",
    "document_expiry",
    "phone",
    "needs",
    "category",
    "intention",
    "site",
    "export_id",
]
BATCH = 1000
APPROVAL_ROWS = 100  # more rows than this need a second supervisor


def _row(p: Person, site_codes: dict[uuid.UUID, str]) -> dict[str, str]:
    def primary(part: NamePart) -> str:
        name = p.primary_name(part)
        return name.text if name else ""

    doc = p.documents[0] if p.documents else None
    others = [f"{n.part.value}:{n.text}" for n in p.names if not n.is_primary]
    return {
        "person_id": str(p.id),
        "household": str(p.household_id or ""),
        "relationship": p.relationship_to_head.value,
        "given_name": primary(NamePart.GIVEN),
        "father_name": primary(NamePart.FATHER),
        "grandfather_name": primary(NamePart.GRANDFATHER),
        "family_name": primary(NamePart.FAMILY),
        "other_spellings": "; ".join(others),
        "sex": p.sex.value,
        "birth_date": p.birth_date.iso(),
        "birth_date_precision": p.birth_precision.value,
        "birth_date_estimated": "yes" if p.birth_estimated else "no",
        "place_of_birth": p.place_of_birth or "",
        "nationality": "; ".join(p.nationalities),
        "languages": "; ".join(p.languages),
        "document_type": doc.type.value if doc else "",
        "document_number": doc.number if doc else "",
        "document_country": (doc.issuing_country or "") if doc else "",
        "document_expiry": doc.expiry_date.isoformat() if doc and doc.expiry_date else "",
        "phone": "; ".join(ph.e164 for ph in p.phones),
        "needs": "; ".join(n.value for n in p.need_codes),
        "category": p.category.value,
        "intention": p.intention.value,
        "site": site_codes.get(p.site_id, ""),
    }


IDENTIFYING_COLUMNS = ("document_type", "document_number", "document_country", "document_expiry", "phone")


def _selection(actor: Actor, site_id: uuid.UUID | None, partner: str | None) -> Select[tuple[Person]]:
    stmt = select(Person).where(Person.merged_into_id.is_(None), in_scope(Person.site_id, actor))
    if site_id is not None:
        stmt = stmt.where(Person.site_id == site_id)
    if partner:
        stmt = stmt.where(Person.id.in_(consent_in_force_filter(ConsentPurpose.PARTNER_SHARING, partner)))
    return stmt


def iter_export_rows(
    uow: UnitOfWork, *, actor: Actor, site_id: uuid.UUID | None = None, partner: str | None = None
) -> Iterator[dict[str, str]]:
    """Rows in registration order, read in keyset batches so memory stays flat."""
    require(actor, Permission.REGISTRY_EXPORT)
    if site_id is not None:
        require_site(actor, site_id)
    identifying = actor.may_read(FieldClass.IDENTIFYING)
    with uow.acting(actor):
        site_codes = dict(uow.session.execute(select(Site.id, Site.code)).tuples().all())
        after: uuid.UUID | None = None
        while True:
            stmt = _selection(actor, site_id, partner)
            if after is not None:
                stmt = stmt.where(Person.id > after)
            stmt = (
                stmt.order_by(Person.id)
                .limit(BATCH)
                .options(
                    selectinload(Person.names),
                    selectinload(Person.documents),
                    selectinload(Person.phones),
                    selectinload(Person.needs),
                )
            )
            batch = list(uow.session.scalars(stmt))
            if not batch:
                return
            for person in batch:
                row = _row(person, site_codes)
                if not identifying:
                    for column in IDENTIFYING_COLUMNS:
                        row[column] = ""
                yield row
            after = batch[-1].id
            uow.session.expunge_all()


def request_export(
    uow: UnitOfWork,
    *,
    purpose: str,
    actor: Actor,
    site_id: uuid.UUID | None = None,
    partner: str | None = None,
) -> ExportRequest:
    """Ask for an export: counts its rows now and decides whether a second supervisor must approve."""
    require(actor, Permission.REGISTRY_EXPORT)
    if site_id is not None:
        require_site(actor, site_id)
    purpose = " ".join(purpose.split())
    if len(purpose) < MIN_PURPOSE:
        raise Invalid(
            say("an export needs a purpose"),
            problems=[
                FieldProblem("purpose", say("say who receives it and why (%(n)s+ characters)", n=MIN_PURPOSE))
            ],
        )
    classes = [FieldClass.ORDINARY] + (
        [FieldClass.IDENTIFYING] if actor.may_read(FieldClass.IDENTIFYING) else []
    )
    with uow.acting(actor):
        rows = uow.session.scalar(
            select(func.count()).select_from(_selection(actor, site_id, partner).subquery())
        )
        count = int(rows or 0)
        needs_approval = count > APPROVAL_ROWS or FieldClass.PROTECTED in classes
        request = ExportRequest(
            requested_by=actor.username,
            requested_by_id=actor.user_id,
            requested_at=uow.now(),
            purpose=purpose,
            site_id=site_id,
            partner=partner,
            field_classes=",".join(c.value for c in classes),
            row_count=count,
            state=ExportState.PENDING if needs_approval else ExportState.APPROVED,
        )
        uow.session.add(request)
        uow.session.flush()
        uow.audit(
            "export.request",
            entity="export",
            entity_id=request.id,
            site_id=site_id,
            purpose=purpose,
            details={"rows": count, "field_classes": [c.value for c in classes], "partner": partner or ""},
        )
        uow.commit()
        uow.session.refresh(request)
        uow.session.expunge(request)
        return request


def decide_export(
    uow: UnitOfWork, request_id: uuid.UUID, *, approve: bool, note: str | None = None, actor: Actor
) -> ExportRequest:
    """A second supervisor approves or rejects a pending export; never its own requester."""
    require(actor, Permission.APPROVE)
    with uow.acting(actor):
        request = uow.session.get(ExportRequest, request_id)
        if request is None:
            raise NotFound(say("export request %(id)s does not exist", id=request_id))
        if request.requested_by == actor.username:
            raise Forbidden(
                say("an export is approved by a second supervisor, not by the one who asked for it")
            )
        if request.site_id is not None:
            require_site(actor, request.site_id)
        if request.state != ExportState.PENDING:
            raise Conflict(say("this export request is %(state)s, not pending", state=request.state))
        request.state = ExportState.APPROVED if approve else ExportState.REJECTED
        request.decided_by = actor.username
        request.decided_at = uow.now()
        request.decision_note = note
        uow.audit(
            "export.approve" if approve else "export.reject",
            entity="export",
            entity_id=request.id,
            site_id=request.site_id,
            purpose=note,
            details={"rows": request.row_count, "field_classes": request.field_classes.split(",")},
        )
        uow.commit()
        uow.session.refresh(request)
        uow.session.expunge(request)
        return request


def list_export_requests(uow: UnitOfWork, *, actor: Actor, limit: int = 100) -> list[ExportRequest]:
    if not (actor.can(Permission.REGISTRY_EXPORT) or actor.can(Permission.AUDIT_READ)):
        raise Forbidden(say("only supervisors and auditors see export requests"))
    with uow.acting(actor):
        rows = list(
            uow.session.scalars(
                select(ExportRequest).order_by(ExportRequest.requested_at.desc()).limit(limit)
            )
        )
        uow.session.expunge_all()
        return rows


def export_csv(
    uow: UnitOfWork,
    out: Path,
    *,
    request_id: uuid.UUID,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Produce an approved export, once, by its requester; returns the number of persons written
    (at most the number counted when it was asked for). UTF-8 with BOM, so Excel reads Arabic and
    Cyrillic correctly."""
    require(actor, Permission.REGISTRY_EXPORT)
    with uow.acting(actor):
        request = uow.session.get(ExportRequest, request_id)
        if request is None:
            raise NotFound(say("export request %(id)s does not exist", id=request_id))
        if request.requested_by != actor.username:
            raise Forbidden(say("an export is produced by the one who asked for it"))
        if request.state != ExportState.APPROVED:
            raise Conflict(
                say("this export request is %(state)s: it cannot be produced", state=request.state)
            )
        limit, site_id, partner, mark = request.row_count, request.site_id, request.partner, str(request.id)
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in iter_export_rows(uow, actor=actor, site_id=site_id, partner=partner):
            if count >= limit:
                break
            row["export_id"] = mark
            writer.writerow(row)
            count += 1
            if progress is not None and count % BATCH == 0:
                progress(count)
    with uow.acting(actor):
        request = uow.session.get(ExportRequest, request_id)
        if request is None or request.state != ExportState.APPROVED:  # produced meanwhile elsewhere
            out.unlink(missing_ok=True)
            raise Conflict(say("this export was produced meanwhile: a request is used once"))
        request.state = ExportState.PRODUCED
        request.produced_at = uow.now()
        request.produced_rows = count
        uow.audit(
            "export.produce",
            entity="export",
            entity_id=request.id,
            site_id=site_id,
            purpose=request.purpose,
            details={"rows": count, "field_classes": request.field_classes.split(",")},
        )
        uow.commit()
    return count


def produce_export_file(uow: UnitOfWork, request_id: uuid.UUID, *, actor: Actor) -> Path:
    """``export_csv`` into a private temporary folder, for an entry point to send and then
    ``discard_export_file``; nothing is left behind when the export is refused."""
    folder = Path(tempfile.mkdtemp(prefix="sp-export-"))
    out = folder / f"export-{request_id}.csv"
    try:
        export_csv(uow, out, request_id=request_id, actor=actor)
    except BaseException:
        discard_export_file(out)
        raise
    return out


def discard_export_file(path: Path) -> None:
    """Remove a produced export file and its temporary folder."""
    path.unlink(missing_ok=True)
    path.parent.rmdir()
