"""The import page: upload a partner's list (CSV or XLSX), import it with the registry's bulk import,
show the report, and hand out the rejects file to correct and import again.

Uploads are kept only while they are imported. Rejects files (personal data) live under
``settings.var_dir / "rejects"`` and are served only to signed-in users whose role may import.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from safepassage.registry import importing
from safepassage.security.policy import Actor
from safepassage.shared.errors import Invalid, NotFound
from safepassage.shared.ids import parse_id
from safepassage.web.forms import FieldError
from safepassage.web.labels import N_
from safepassage.web.registry_pages import site_choices, sites_for
from safepassage.web.render import HEADERS, PageRoute, error_status, gettext_for, render
from safepassage.web.security import FormDep, Importer, check_csrf, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name: str | None) -> str:
    """The uploaded file's own name, without any folder and without characters a file system minds."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")[-150:]
    return cleaned or "upload.csv"


def rejects_dir(request: Request) -> Path:
    return Path(get_container(request).settings.var_dir) / "rejects"


def _page(
    request: Request,
    actor: Actor,
    *,
    status: int = 200,
    report: Any = None,
    rejects_url: str | None = None,
    problem: FieldError | None = None,
    errors: dict[str, list[FieldError]] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "import.html",
        status=status,
        here="/import",
        sites=site_choices(sites_for(get_container(request).uow(), actor)),
        report=report,
        rejects_url=rejects_url,
        problem=problem,
        errors=errors or {},
        values=values or {"site_id": "", "source": ""},
    )


@router.get("/import")
def import_form(request: Request, actor: Importer) -> Response:
    return _page(request, actor)


@router.post("/import")
def import_list(request: Request, data: FormDep, actor: Importer) -> Response:
    gettext = gettext_for(request)
    values = {"site_id": str(data.get("site_id") or ""), "source": str(data.get("source") or "").strip()}
    upload = data.get("file")
    site_id = parse_id(values["site_id"])
    errors: dict[str, list[FieldError]] = {}
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = [FieldError(gettext(N_("Choose a file.")))]
    elif upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        errors["file"] = [FieldError(gettext(N_("The file is too large (50 MB at most): split it.")))]
    if site_id is None:
        errors["site_id"] = [FieldError(gettext(N_("Choose one of the options.")))]
    if errors or not isinstance(upload, UploadFile) or site_id is None:
        return _page(request, actor, status=422, errors=errors, values=values)

    container = get_container(request)
    run = uuid.uuid4().hex
    upload_dir = Path(container.settings.var_dir) / "uploads" / run
    upload_dir.mkdir(parents=True, exist_ok=True)
    path = upload_dir / safe_filename(upload.filename)
    rejects = rejects_dir(request) / run / f"{importing.default_source(path)}.rejects.csv"
    rejects.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        report = importing.import_file(
            container.uow(),
            path,
            actor=actor,
            site_id=site_id,
            source=values["source"] or None,
            rejects_path=rejects,
            batch_size=container.settings.import_batch_size,
        )
    except (Invalid, NotFound) as exc:
        problem = FieldError(gettext(N_("The file was not imported.")), exc.message)
        shutil.rmtree(rejects.parent, ignore_errors=True)
        return _page(request, actor, status=error_status(exc), problem=problem, values=values)
    finally:
        shutil.rmtree(upload_dir, ignore_errors=True)  # the upload holds personal data: not kept
    has_rejects = (
        report.rows_rejected > 0 and report.rejects_path is not None and Path(report.rejects_path).exists()
    )
    if not has_rejects:
        shutil.rmtree(rejects.parent, ignore_errors=True)
    return _page(
        request,
        actor,
        report=report,
        values=values,
        rejects_url=f"/import/rejects/{run}" if has_rejects else None,
    )


@router.get("/import/rejects/{run}")
def download_rejects(run: str, request: Request, actor: Importer) -> Response:
    """The rejects file of one import run, for a user whose role may import."""
    del actor
    if not re.fullmatch(r"[0-9a-f]{32}", run):
        raise NotFound("no such rejects file")
    folder = rejects_dir(request) / run
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not files:
        raise NotFound("no such rejects file")
    headers = {k: v for k, v in HEADERS.items() if k != "Content-Security-Policy"}
    return FileResponse(
        files[0], media_type="text/csv; charset=utf-8", filename=files[0].name, headers=headers
    )
