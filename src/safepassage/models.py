"""Every model, imported once so that the metadata is complete (Alembic, tests)."""

from safepassage.db import Base
from safepassage.history import ChangeRecord
from safepassage.idempotency import IdempotencyRecord
from safepassage.registry import models as registry_models
from safepassage.security.models import User

__all__ = ["Base", "ChangeRecord", "IdempotencyRecord", "User", "registry_models"]
