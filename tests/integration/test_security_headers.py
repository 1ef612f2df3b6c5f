"""Security headers on every answer (pages, API, static files, redirects, errors, a crash) and no
stack trace to users."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from httpx import Response

from safepassage.api.deps import Public
from safepassage.app import create_app
from safepassage.bootstrap import Container
from safepassage.security.policy import Actor
from safepassage.web import headers
from tests.conftest import web_sign_in

pytestmark = pytest.mark.db


def assert_protected(r: Response, *, cache: bool = False) -> None:
    h = r.headers
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in h  # plain http in tests: HSTS only with SAFEPASSAGE_HTTPS
    if not cache:
        assert h["cache-control"] == "no-store"


@pytest.fixture
def crashing_client(container: Container) -> Iterator[TestClient]:
    app = create_app(container)
    router = APIRouter()

    @router.get("/api/v1/crash")
    def crash(_: None = Depends(Public())) -> None:
        raise RuntimeError("secret internals: /srv/safepassage/db.py line 42")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_pages_api_static_and_redirects_carry_the_headers(
    app_client: TestClient, container: Container, clerk_aleppo: Actor
) -> None:
    assert_protected(app_client.get("/login"))
    assert_protected(app_client.get("/persons", follow_redirects=False))  # a redirect
    assert_protected(app_client.get("/api/v1/sites"))  # 401
    assert_protected(app_client.get("/api/v1/nothing-here"))  # 404
    assert_protected(app_client.get("/static/site.css"), cache=True)
    web_sign_in(app_client, container, "clerk_aleppo")
    page = app_client.get("/persons")
    assert page.status_code == 200
    assert_protected(page)
    assert_protected(app_client.get("/persons/not-an-id"))  # the 404 page
    assert '<meta name="referrer" content="no-referrer">' in page.text  # the page does not relax it


def test_a_crash_answers_with_a_reference_not_a_traceback(crashing_client: TestClient) -> None:
    r = crashing_client.get("/api/v1/crash")
    assert r.status_code == 500
    assert_protected(r)
    assert "Reference" in r.json()["error"]["message"]
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_the_pages_need_no_inline_script() -> None:
    """The CSP forbids inline script: no template may rely on one."""
    templates = sorted((Path(headers.__file__).parent / "templates").glob("*.html"))
    assert templates
    for template in templates:
        text = template.read_text()
        assert " onclick=" not in text and "javascript:" not in text, template.name
        assert " style=" not in text and "<style" not in text, template.name  # style-src 'self'
        for tag in re.findall(r"<script[^>]*>", text):
            assert 'src="/static/' in tag, f"{template.name}: {tag}"


def test_the_api_documentation_page_alone_may_load_swagger(app_client: TestClient) -> None:
    r = app_client.get("/api/docs")
    assert r.status_code == 200
    assert "cdn.jsdelivr.net" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
