"""A supervisor's first sign-in in a real browser: the password, then the second factor enrolled from
the page (QR code and key), then the registry; the security headers break nothing on the way (no
Content-Security-Policy violation is reported by the browser)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
import pytest

from safepassage.security.policy import Actor
from tests.conftest import PASSWORD
from tests.e2e.test_browser_registration import (  # noqa: F401 - fixtures
    browser,
    live_server,
    new_page,
    pytestmark,
    sync_api,
)

pytestmark = pytestmark  # the same marks and skip as the registration test


def test_a_supervisor_enrols_the_second_factor_then_reaches_the_registry(
    live_server: str,  # noqa: F811
    new_page: Callable[..., object],  # noqa: F811
    supervisor: Actor,
) -> None:
    page: sync_api.Page = new_page(viewport={"width": 1280, "height": 900})  # type: ignore[assignment]
    violations: list[str] = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.goto(f"{live_server}/login")
    page.fill("#username", supervisor.username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/login/enrol"))
    assert page.locator("figure.qr svg").count() == 1
    first = page.locator("code.secret").inner_text().replace(" ", "")
    # nothing else opens before the second factor is enrolled
    page.goto(f"{live_server}/persons")
    page.wait_for_url(re.compile(r".*/login\?next="))
    page.goto(f"{live_server}/login/enrol")
    key = page.locator("code.secret").inner_text().replace(" ", "")
    assert key != first  # a key is shown once: showing the page again makes a new one
    page.fill("#code", pyotp.TOTP(key).now())
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/persons$"))
    assert page.locator(".who").inner_text() == supervisor.username
    assert violations == []


@pytest.mark.parametrize("wrong", ["000000"])
def test_a_wrong_code_is_told_plainly(
    live_server: str,  # noqa: F811
    new_page: Callable[..., object],  # noqa: F811
    supervisor: Actor,
    wrong: str,
) -> None:
    page: sync_api.Page = new_page()  # type: ignore[assignment]
    page.goto(f"{live_server}/login")
    page.fill("#username", supervisor.username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/login/enrol"))
    page.fill("#code", wrong)
    page.click("button.primary")
    assert page.locator("p.error[role=alert]").count() == 1
