"""Composition root: settings → engine → sessions → units of work. Entry points build one
``Container`` and pass it down; nothing else reads the environment or makes an engine."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

import safepassage.models  # noqa: F401  (every model registered, with its history tracking)
from safepassage.config import Settings
from safepassage.db import make_engine, make_session_factory
from safepassage.security.audit import AuditTrail, trail_for
from safepassage.security.keys.service import FIELD_KEYS, FieldKeys, keys_for
from safepassage.shared.clock import Clock, SystemClock
from safepassage.uow import UnitOfWork


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Any]
    clock: Clock = field(default_factory=SystemClock)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory,
            clock=self.clock,
            default_phone_region=self.settings.default_phone_region,
            page_size=self.settings.page_size,
            retention=self.settings.protection_retention_days,
            audit_trail=self.audit_trail,
        )

    @functools.cached_property
    def audit_trail(self) -> AuditTrail:
        """The audit chain's appender, with its signing key (read once per process)."""
        return trail_for(self.settings, self.clock)

    @functools.cached_property
    def keys(self) -> FieldKeys:
        """Field encryption: the KEK ring and the keystore of site data keys (read on first use);
        every unit of work's session carries it (``security.keys.field_keys``)."""
        return keys_for(self.settings)

    def secret_key(self) -> str:
        """The cookie-signing key: from settings, else kept in var/secret_key (made once, mode 600)."""
        configured = self.settings.secret_key.get_secret_value()
        if configured:
            return configured
        path = Path(self.settings.var_dir) / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def dispose(self) -> None:
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None, *, clock: Clock | None = None, **engine_kwargs: Any
) -> Container:
    settings = settings or Settings()
    if not settings.is_sqlite:
        engine_kwargs.setdefault("pool_size", settings.db_pool_size)
        engine_kwargs.setdefault("max_overflow", settings.db_max_overflow)
    engine = make_engine(settings.database_url, **engine_kwargs)
    container = Container(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
    )
    container.session_factory.configure(info={FIELD_KEYS: container.keys})
    return container
