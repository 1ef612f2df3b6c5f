"""Every model, imported once so that the metadata is complete (Alembic, tests)."""

from safepassage.db import Base
from safepassage.history import ChangeRecord
from safepassage.idempotency import IdempotencyRecord
from safepassage.linking import models as linking_models
from safepassage.movements import models as movement_models
from safepassage.placement import models as placement_models
from safepassage.registry import models as registry_models
from safepassage.security import grants as security_grants
from safepassage.security import rowsecurity  # noqa: F401  (hands each transaction's scope to PostgreSQL)
from safepassage.security.audit import models as audit_models
from safepassage.security.keys import models as key_models
from safepassage.security.models import User

__all__ = [
    "Base",
    "ChangeRecord",
    "IdempotencyRecord",
    "User",
    "audit_models",
    "key_models",
    "linking_models",
    "movement_models",
    "placement_models",
    "registry_models",
    "security_grants",
]
