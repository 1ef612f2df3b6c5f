"""The checkpoint page in a real browser (Debian's Chromium, headless, with Playwright): scans made
while the device is offline wait in the browser's queue, nothing reaches the server; when the
connection returns the queue is uploaded by itself, and the server holds every scan, once, with the
persons checked in at the assembly point (and counted in its occupancy)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from safepassage.movements import queries
from safepassage.movements.models import Scan, ScanOutcome
from safepassage.registry import queries as registry_queries
from safepassage.security.policy import SYSTEM
from tests.e2e.test_browser_registration import (  # noqa: F401 - fixtures
    CHROMIUM,
    browser,
    live_server,
    new_page,
    sign_in,
    sync_api,
)
from tests.integration.test_movements_scans import world  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.db,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"Debian's Chromium is not installed at {CHROMIUM}"
    ),
]


QUEUED = "JSON.parse(localStorage.getItem('sp-scan-queue') || '[]').length"


def _until(page: Any, expression: str, expected: object, seconds: float = 15) -> None:
    """Poll ``expression`` in the page until it equals ``expected`` (the page's Content Security
    Policy forbids the string evaluation ``wait_for_function`` uses)."""
    deadline = time.monotonic() + seconds
    while (value := page.evaluate(expression)) != expected:
        assert time.monotonic() < deadline, f"{expression} is {value!r}, not {expected!r}"
        page.wait_for_timeout(100)


def _scans_stored(container: Any) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Scan)) or 0)


def test_scans_made_offline_are_uploaded_when_the_connection_returns(
    container: Any,
    live_server: str,  # noqa: F811
    new_page: Callable[..., object],  # noqa: F811
    world: dict[str, Any],  # noqa: F811
) -> None:
    page: sync_api.Page = new_page(viewport={"width": 390, "height": 844})  # type: ignore[assignment]
    sign_in(page, live_server, world["clerk"].username)
    page.goto(
        f"{live_server}/checkpoint?site_id={world['origin']}&leg_id={world['leg']}&kind=assembly_check_in"
    )
    page.wait_for_selector("[data-checkpoint]")
    people = list(world["tokens"])
    page.context.set_offline(True)

    # two typed numbers (one sloppily: lower case, spaces) and one QR code, as a hand scanner types it
    typed = [world["numbers"][people[0]], world["numbers"][people[1]].lower().replace("-", " ")]
    for value in [*typed, world["tokens"][people[2]]]:
        page.fill("#f-pass", value)
        page.press("#f-pass", "Enter")
    _until(page, QUEUED, 3)
    assert "Offline" in page.inner_text("[data-status]")
    assert "3" in page.inner_text("[data-queue]")
    assert _scans_stored(container) == 0, "nothing left the device"

    page.context.set_offline(False)  # the "online" event uploads the queue
    _until(page, QUEUED, 0)
    _until(page, "document.querySelector('[data-status]').textContent", "Uploaded.")
    assert page.inner_text("[data-queue]") == ""
    log = page.inner_text("[data-log]")
    assert len(re.findall(r"AF-1 accepted", log)) == 3, log

    with container.uow() as uow:
        stored = uow.session.execute(select(Scan.person_id, Scan.outcome, Scan.checkpoint)).all()
    assert sorted((str(p), o, c.value) for p, o, c in stored) == sorted(
        (str(p), ScanOutcome.ACCEPTED, "assembly_check_in") for p in people
    )
    for person in people:
        state = queries.person_movement(container.uow(), person, actor=world["planner"])
        assert (state.state, state.where_site_id) == ("checked_in", world["origin"])
    assert registry_queries.get_site(container.uow(), world["origin"], actor=SYSTEM).occupancy == 3

    # a reload finds nothing waiting and sends nothing again
    page.reload()
    page.wait_for_selector("[data-checkpoint]")
    assert page.evaluate(QUEUED) == 0
    assert _scans_stored(container) == 3
