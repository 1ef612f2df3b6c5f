"""Settings: one object, read from the environment (``SAFEPASSAGE_*``) or ``.env``, built at the
composition root (``bootstrap``) and passed down. Models and engines never read the environment.

Every setting is listed in docs/configuration.md; a test fails when one is missing there.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEPASSAGE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/safepassage.db",
        description="SQLAlchemy URL. SQLite file by default; postgresql+psycopg://... in production.",
    )
    db_pool_size: int = Field(
        default=10, ge=1, le=200, description="PostgreSQL connections each server process keeps open."
    )
    db_max_overflow: int = Field(
        default=5, ge=0, le=200, description="Extra PostgreSQL connections a process may open at peaks."
    )
    host: str = Field(default="127.0.0.1", description="Address the web app and API listen on.")
    port: int = Field(default=8000, description="Port the web app and API listen on.")
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs session cookies. Generated into var/secret_key when empty.",
    )
    var_dir: Path = Field(
        default=Path("var"), description="Where the embedded database, keys and reports live."
    )
    default_phone_region: str = Field(
        default="SY", description="ISO country whose numbering plan applies to phone numbers typed without +."
    )
    default_language: str = Field(
        default="en", description="UI language when the browser asks for none: en, ru, ar."
    )
    page_size: int = Field(default=50, ge=1, le=500, description="Default page size of lists.")
    import_batch_size: int = Field(
        default=2000, ge=1, le=50000, description="Rows written per transaction by the bulk import."
    )
    session_max_age_seconds: int = Field(default=12 * 3600, description="Absolute lifetime of a web session.")
    idempotency_ttl_hours: int = Field(default=24, description="How long an Idempotency-Key is remembered.")
    log_level: str = Field(default="INFO", description="Log level of the service.")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
