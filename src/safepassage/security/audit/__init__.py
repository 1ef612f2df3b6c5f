"""The tamper-evident audit trail: who did what, when, from where and why, in a hash chain with
signed checkpoints (see docs/security-audit.md).

- ``models``: the tables; ``chain``: the canonical form, the hash and the checker (pure);
  ``signing``: the Ed25519 key in a file outside the database; ``trail``: appending, in the action's
  transaction (the unit of work's audit sink); ``verify``: checking the stored chain; ``queries``:
  the auditor's read side.
"""

from __future__ import annotations

from pathlib import Path

from safepassage.config import Settings
from safepassage.security.audit.chain import Problem, TamperKind, VerifyReport
from safepassage.security.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from safepassage.security.audit.signing import PublicKeys, public_pem
from safepassage.security.audit.trail import AuditTrail
from safepassage.shared.clock import Clock

KEY_FILE = Path("keys") / "audit-signing.key"
CHECKPOINT_FILE = Path("audit") / "checkpoints.jsonl"


def key_file(settings: Settings) -> Path:
    return settings.audit_signing_key_file or Path(settings.var_dir) / KEY_FILE


def checkpoint_file(settings: Settings) -> Path:
    return settings.audit_checkpoint_file or Path(settings.var_dir) / CHECKPOINT_FILE


def trail_for(settings: Settings, clock: Clock | None = None) -> AuditTrail:
    return AuditTrail(
        key_file(settings),
        checkpoint_every=settings.audit_checkpoint_every,
        checkpoint_file=checkpoint_file(settings),
        clock=clock,
    )


def public_keys(settings: Settings, public_key_file: Path | None = None) -> PublicKeys:
    """The keys a verifier trusts: those in ``public_key_file``, else the public half of the
    configured signing key (which must exist: verifying never creates a key)."""
    if public_key_file is not None:
        return PublicKeys.from_pem(public_key_file.read_bytes())
    path = key_file(settings)
    if not path.exists():
        raise FileNotFoundError(f"no audit signing key at {path}: pass the public key file")
    from safepassage.security.audit.signing import load_signer

    return PublicKeys([load_signer(path, create=False).public])


__all__ = [
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "AuditTrail",
    "Problem",
    "PublicKeys",
    "TamperKind",
    "VerifyReport",
    "checkpoint_file",
    "key_file",
    "public_keys",
    "public_pem",
    "trail_for",
]
