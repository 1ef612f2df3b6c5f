"""pip-audit over the locked requirements: fails on any known vulnerability; says plainly how many
packages could not be audited (the advisory service unreachable, as in a sandbox without PyPI's JSON
API) instead of failing CI on an outage or passing it silently.

Usage: python scripts/audit-deps.py REQUIREMENTS.txt   (run by `make audit-deps`)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def main(requirements: str) -> int:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    result = subprocess.run(  # noqa: S603 - our own venv's pip-audit on our own lock
        [str(pip_audit), "--require-hashes", "--disable-pip", "--progress-spinner", "off",
         "-f", "json", "-r", requirements],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(result.stdout + result.stderr)
        print("pip-audit did not produce a report", file=sys.stderr)
        return 2
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
    audited = len(deps) - len(skipped)
    print(f"pip-audit: {len(deps)} locked packages, {audited} audited, {len(vulnerable)} vulnerable")
    if skipped:
        print(
            f"WARNING: {len(skipped)} packages could not be audited "
            f"(first: {skipped[0]['name']}: {skipped[0]['skip_reason']}); the advisory service is "
            "unreachable from here: run `make audit-deps` where PyPI's JSON API answers."
        )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
