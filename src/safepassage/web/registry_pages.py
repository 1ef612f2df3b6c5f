"""Pages that read the registry: search and the sites (the person page is in ``person_pages``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from safepassage.registry import queries, schemas
from safepassage.registry.codes import EvacuationCategory, Intention, SpecificNeed
from safepassage.security.policy import Actor
from safepassage.shared.ids import parse_id
from safepassage.uow import UnitOfWork
from safepassage.web.render import PageRoute, render
from safepassage.web.security import Reader, SignedIn, check_csrf, get_container

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])

E = TypeVar("E", bound=StrEnum)


def _code(enum_cls: type[E], value: str | None) -> E | None:
    """A code from a query string; an unknown one is ignored (a stale bookmark is no error)."""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def site_choices(sites: list[schemas.SiteRead]) -> list[tuple[str, str]]:
    return [(str(s.id), f"{s.code} — {s.name}") for s in sites]


def site_namer(sites: list[schemas.SiteRead]) -> Callable[[uuid.UUID | None], str]:
    names = {s.id: f"{s.code} — {s.name}" for s in sites}

    def name(site_id: uuid.UUID | None) -> str:
        return names.get(site_id, str(site_id)) if site_id else "—"

    return name


def sites_for(uow: UnitOfWork, actor: Actor) -> list[schemas.SiteRead]:
    return queries.list_sites(uow, actor=actor)


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    site: str = ""
    category: str = ""
    intention: str = ""
    need: str = ""

    @property
    def active(self) -> bool:
        return bool(self.site or self.category or self.intention or self.need)

    def params(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in vars(self).items() if v]

    def to_filter(self) -> queries.PersonFilter:
        need = _code(SpecificNeed, self.need)
        return queries.PersonFilter(
            q=self.q or None,
            site_id=parse_id(self.site) if self.site else None,
            category=_code(EvacuationCategory, self.category),
            intention=_code(Intention, self.intention),
            needs=[need] if need else [],
        )


@router.get("/persons")
def search(request: Request, actor: Reader) -> Response:
    qp = request.query_params
    filters = SearchFilters(
        **{key: (qp.get(key) or "").strip()[:200] for key in SearchFilters.__dataclass_fields__}
    )
    container = get_container(request)
    uow = container.uow()
    cursor = qp.get("cursor") or None
    page = queries.list_persons(
        uow, filters.to_filter(), actor=actor, cursor=cursor, limit=container.settings.page_size
    )
    base = filters.params()
    next_url = f"/persons?{urlencode([*base, ('cursor', page.next_cursor)])}" if page.next_cursor else None
    first_url = f"/persons?{urlencode(base)}" if cursor else None
    return render(
        request,
        "persons.html",
        page=page,
        filters=filters,
        sites=site_choices(sites_for(uow, actor)),
        next_url=next_url,
        first_url=first_url,
    )


@router.get("/sites")
def sites(request: Request, actor: SignedIn) -> Response:
    return render(request, "sites.html", sites=sites_for(get_container(request).uow(), actor))
