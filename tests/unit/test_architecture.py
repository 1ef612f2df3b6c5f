"""The layering rule and the permission rule, checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

from safepassage.api.deps import permission_of
from safepassage.security.policy import GRANTS, Permission, Role

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a dev dependency"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _declared(route: APIRoute) -> set[object]:
    declared = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is not None and permission_of(dependant.call) is not None:
            declared.add(permission_of(dependant.call))
        stack.extend(dependant.dependencies)
    return declared


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, also those inside included routers (FastAPI keeps them nested)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
    return found


def test_every_route_declares_its_permission(app_client):
    routes = api_routes(app_client.app.routes)
    assert len(routes) > 20
    missing = [f"{sorted(r.methods)} {r.path}" for r in routes if not _declared(r)]
    assert missing == [], f"routes without a declared permission: {missing}"


def test_administrators_and_auditors_do_not_read_records():
    assert Permission.REGISTRY_READ not in GRANTS[Role.ADMINISTRATOR]
    assert Permission.REGISTRY_READ not in GRANTS[Role.AUDITOR]
    assert Permission.HISTORY_READ not in GRANTS[Role.AUDITOR]  # change records hold values
    assert Permission.AUDIT_READ in GRANTS[Role.AUDITOR]
