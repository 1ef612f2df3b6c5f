"""Printed documents: manifests (CSV, PDF) and boarding passes (PDF with a signed QR code).

Large, readable print: a manifest in 11-point type on landscape A4, a pass on A5 with the name in
24-point type. One font with Latin, Cyrillic and Arabic glyphs (DejaVu Sans, Debian's
``fonts-dejavu-core``; Noto Sans as a fallback) is found at run time; Arabic text is shaped
(``arabic-reshaper``) and laid out right to left (``python-bidi``) before ReportLab draws it, since
ReportLab itself does neither. Labels of the pass are printed in the person's language (en, ru, ar).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import uuid
from pathlib import Path
from typing import Any

import segno
from arabic_reshaper import reshape  # type: ignore[import-untyped]
from bidi.algorithm import get_display  # type: ignore[import-untyped]
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from safepassage.config import Settings
from safepassage.movements import manifests
from safepassage.movements.legs import get_leg_or_raise
from safepassage.movements.models import BoardingPass, TransportLeg
from safepassage.movements.passes import key_path, make_token, signing_key
from safepassage.registry.codes import NamePart
from safepassage.registry.models import Site
from safepassage.registry.services import get_person_or_raise
from safepassage.security.policy import (
    Access,
    Actor,
    FieldClass,
    Permission,
    require,
    require_field,
    require_site,
)
from safepassage.shared.errors import NotFound
from safepassage.shared.i18n import say
from safepassage.uow import UnitOfWork

FONT, FONT_BOLD = "SPSans", "SPSans-Bold"
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/noto"),
)
_FONT_FILES = (("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"), ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"))
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


class FontMissing(RuntimeError):
    """No font with Arabic and Cyrillic glyphs: install Debian's fonts-dejavu-core."""


@functools.cache
def register_fonts() -> None:
    for folder in _FONT_DIRS:
        for regular, bold in _FONT_FILES:
            if (folder / regular).exists() and (folder / bold).exists():
                pdfmetrics.registerFont(TTFont(FONT, str(folder / regular)))
                pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / bold)))
                return
    raise FontMissing(
        "no font with Latin, Cyrillic and Arabic glyphs was found (looked for DejaVu Sans and Noto Sans "
        "under /usr/share/fonts): install Debian's fonts-dejavu-core (scripts/system-deps.sh)"
    )


def shaped(text: str) -> str:
    """Arabic joined and ordered for drawing left to right; other text as it is."""
    return get_display(reshape(text)) if _ARABIC.search(text) else text


# --- manifests -------------------------------------------------------------------------------------------

_HEAD = (
    "#",
    "Family name",
    "Given names",
    "Sex",
    "Born",
    "Nat.",
    "Document",
    "Number",
    "Expiry",
    "Category",
    "Tier",
)


def _manifest_cells(r: dict[str, Any]) -> list[str]:
    return [
        str(r.get("seq", "")),
        shaped(r.get("family_name", "")),
        shaped(r.get("given_names", "")),
        r.get("sex", ""),
        r.get("birth_date", ""),
        r.get("nationality", ""),
        r.get("document_type", "").replace("_", " "),
        r.get("document_number", ""),
        r.get("document_expiry", ""),
        r.get("category", "").replace("_", " "),
        str(r.get("tier", "")),
    ]


def manifest_pdf(leg: TransportLeg, origin: str, destination: str, frozen: bool, rows: list[dict[str, Any]],
                 tallies: dict[str, Any]) -> bytes:  # fmt: skip
    register_fonts()
    out = io.BytesIO()
    margin = 12 * mm
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=f"Manifest {leg.code}",
    )
    title = ParagraphStyle("t", fontName=FONT_BOLD, fontSize=18, leading=22)
    body = ParagraphStyle("b", fontName=FONT, fontSize=12, leading=15)
    state = "FROZEN at boarding" if frozen else "PROVISIONAL (not frozen: boarding has not started)"
    story: list[Any] = [
        Paragraph(f"Manifest — {leg.kind.value} {leg.code}", title),
        Paragraph(
            f"{origin} → {destination} · departure {leg.departure_at:%Y-%m-%d %H:%M} UTC · {state}", body
        ),
        Paragraph(
            f"Persons: {tallies.get('total', 0)} · by category: "
            + ", ".join(f"{k} {v}" for k, v in tallies.get("by_category", {}).items())
            + " · by tier: "
            + ", ".join(f"{k}: {v}" for k, v in tallies.get("by_tier", {}).items())
            + " · places: "
            + ", ".join(f"{k} {v}" for k, v in tallies.get("by_place", {}).items()),
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    data = [list(_HEAD)] + [_manifest_cells(r) for r in rows]
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 11),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 11),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.whitesmoke]),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return out.getvalue()


def _site_code(uow: UnitOfWork, site_id: uuid.UUID) -> str:
    site = uow.session.get(Site, site_id)
    return f"{site.name} ({site.code})" if site else str(site_id)


def manifest_document(
    uow: UnitOfWork, leg_id: uuid.UUID, *, actor: Actor, fmt: str
) -> tuple[bytes, str, str]:
    """(body, media type, file name) of a leg's manifest; reading it is audited."""
    require(actor, Permission.MOVEMENTS_PLAN)
    require_field(actor, FieldClass.IDENTIFYING, Access.READ)
    with uow.acting(actor):
        leg = get_leg_or_raise(uow, leg_id, actor=actor)
        frozen, rows, tallies = manifests.manifest_rows(uow, leg, actor=actor)
        origin, destination = _site_code(uow, leg.origin_site_id), _site_code(uow, leg.destination_site_id)
        uow.commit()  # the read is on the audit trail
    if fmt == "csv":
        return manifests.to_csv(rows).encode(), "text/csv; charset=utf-8", f"manifest-{leg.code}.csv"
    if fmt == "pdf":
        return (
            manifest_pdf(leg, origin, destination, frozen, rows, tallies),
            "application/pdf",
            f"manifest-{leg.code}.pdf",
        )
    import json

    payload = {"leg": leg.code, "frozen": frozen, "counts": tallies, "rows": rows}
    return json.dumps(payload, ensure_ascii=False).encode(), "application/json", f"manifest-{leg.code}.json"


# --- boarding passes -------------------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "en": {"title": "Boarding pass", "name": "Name", "leg": "Leg", "from": "From", "to": "To",
           "departure": "Departure (UTC)", "place": "Place", "number": "Pass number",
           "seat": "seat", "lap": "on an adult's lap (infant)", "stretcher": "stretcher",
           "keep": "Keep this pass with you. Show it at check-in, at boarding and on arrival."},
    "ru": {"title": "Посадочный талон", "name": "Имя", "leg": "Рейс", "from": "Откуда", "to": "Куда",
           "departure": "Отправление (UTC)", "place": "Место", "number": "Номер талона",
           "seat": "сиденье", "lap": "на руках у взрослого (младенец)", "stretcher": "носилки",
           "keep": "Держите талон при себе. Покажите его при регистрации, посадке и по прибытии."},
    "ar": {"title": "بطاقة الصعود", "name": "الاسم", "leg": "الرحلة", "from": "من", "to": "إلى",
           "departure": "المغادرة (UTC)", "place": "المكان", "number": "رقم البطاقة",
           "seat": "مقعد", "lap": "في حضن شخص بالغ (رضيع)", "stretcher": "نقالة",
           "keep": "احتفظ بهذه البطاقة معك. أظهرها عند التسجيل وعند الصعود وعند الوصول."},
}  # fmt: skip


def pass_pdf(fields: dict[str, str], token: str, language: str) -> bytes:
    """One A5 page: labels in ``language``, the name in Latin (as in the document) and as written."""
    register_fonts()
    labels = LABELS.get(language, LABELS["en"])
    rtl = language == "ar"
    out = io.BytesIO()
    width, height = A5
    c = Canvas(out, pagesize=A5, pageCompression=0)
    c.setTitle(f"Boarding pass {fields['number']}")
    margin = 12 * mm

    def line(y: float, label: str, value: str, size: int = 14) -> None:
        c.setFont(FONT, 10)
        text = shaped(labels[label])
        if rtl:
            c.drawRightString(width - margin, y + size + 2, text)
        else:
            c.drawString(margin, y + size + 2, text)
        c.setFont(FONT_BOLD, size)
        if rtl:
            c.drawRightString(width - margin, y, shaped(value))
        else:
            c.drawString(margin, y, shaped(value))

    c.setFont(FONT_BOLD, 20)
    title = shaped(labels["title"])
    if rtl:
        c.drawRightString(width - margin, height - margin - 14, title)
    else:
        c.drawString(margin, height - margin - 14, title)
    y = height - margin - 50
    line(y, "name", fields["latin_name"], 22)
    if fields.get("native_name") and fields["native_name"] != fields["latin_name"]:
        c.setFont(FONT, 16)
        if rtl:
            c.drawRightString(width - margin, y - 20, shaped(fields["native_name"]))
        else:
            c.drawString(margin, y - 20, shaped(fields["native_name"]))
        y -= 20
    y -= 44
    line(y, "leg", fields["leg"], 18)
    y -= 40
    line(y, "from", fields["origin"])
    y -= 36
    line(y, "to", fields["destination"])
    y -= 36
    line(y, "departure", fields["departure"])
    y -= 36
    line(y, "place", labels.get(fields["place"], fields["place"]))
    y -= 40
    line(y, "number", fields["number"], 22)
    qr = segno.make(token, error="m")
    size = 62 * mm
    _draw_qr(c, qr, (width - size) / 2, margin + 12 * mm, size)
    c.setFont(FONT, 9)
    c.drawCentredString(width / 2, margin, shaped(labels["keep"]))
    c.showPage()
    c.save()
    return out.getvalue()


def _draw_qr(c: Any, qr: Any, x: float, y: float, size: float) -> None:
    """The code as vector squares, one filled path of each row's dark runs: sharp on any printer, and no
    embedded image for a reader to mis-parse."""
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    module = size / len(rows)
    path = c.beginPath()
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            path.rect(x + start * module, top, (col - start) * module, module)
    c.drawPath(path, stroke=0, fill=1)


def pass_fields(
    uow: UnitOfWork, boarding: BoardingPass, leg: TransportLeg, *, actor: Actor
) -> dict[str, str]:
    person = get_person_or_raise(uow, boarding.person_id, actor=actor)
    latin = " ".join(
        x
        for x in (manifests.latin_name(person, NamePart.GIVEN), manifests.latin_name(person, NamePart.FAMILY))
        if x
    )
    return {
        "latin_name": latin,
        "native_name": person.display_name(),
        "leg": f"{leg.kind.value} {leg.code}",
        "origin": _site_code(uow, leg.origin_site_id),
        "destination": _site_code(uow, leg.destination_site_id),
        "departure": f"{leg.departure_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}",
        "place": boarding.place.value,
        "number": boarding.number,
    }


def pass_document(
    uow: UnitOfWork, pass_id: uuid.UUID, *, actor: Actor, settings: Settings
) -> tuple[bytes, str]:
    """(PDF, file name) of one valid pass, its token signed now with the boarding-pass key."""
    require(actor, Permission.MOVEMENTS_PLAN)
    with uow.acting(actor):
        boarding = uow.session.get(BoardingPass, pass_id)
        if boarding is None:
            raise NotFound(say("pass %(id)s not found", id=pass_id))
        leg = get_leg_or_raise(uow, boarding.leg_id, actor=actor)
        require_site(actor, leg.origin_site_id, what="leg's origin")
        if boarding.revoked_at is not None:
            raise NotFound(
                say(
                    "pass %(number)s was revoked: %(why)s",
                    number=boarding.number,
                    why=boarding.revoked_reason,
                )
            )
        fields = pass_fields(uow, boarding, leg, actor=actor)
        uow.audit("movement.pass.printed", entity="pass", entity_id=boarding.id, site_id=leg.origin_site_id)
        uow.commit()
    key = signing_key(key_path(settings.var_dir, settings.boarding_pass_key_file))
    token = make_token(key, boarding.id, boarding.person_id, boarding.leg_id)
    return pass_pdf(fields, token, boarding.language), f"pass-{boarding.number}.pdf"
