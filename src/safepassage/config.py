"""Settings: one object, read from the environment (``SAFEPASSAGE_*``) or ``.env``, built at the
composition root (``bootstrap``) and passed down. Models and engines never read the environment.

Every setting is listed in docs/configuration.md; a test fails when one is missing there.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from safepassage.registry.codes import DEFAULT_RETENTION_DAYS


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
    max_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Connections and requests a server process takes at once; beyond it, 503 at once "
        "(the checkpoint page and field clients keep their queue and retry) instead of a queue that "
        "grows until every request is late. Empty: no limit.",
    )
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
    session_max_age_seconds: int = Field(
        default=12 * 3600, ge=60, description="Absolute lifetime of a web session, however often it is used."
    )
    session_idle_seconds: int = Field(
        default=15 * 60, ge=60, description="A web session unused for this long is over."
    )
    https: bool = Field(
        default=False,
        description="Served over https (directly or behind a proxy): Secure cookies and HSTS.",
    )
    token_max_days: int = Field(
        default=90, ge=1, le=3650, description="Longest lifetime an API token may be given."
    )
    login_window_seconds: int = Field(
        default=15 * 60, ge=60, description="Window in which failed sign-ins are counted."
    )
    login_max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins of one account in the window before it is refused."
    )
    login_max_failures_per_address: int = Field(
        default=20, ge=1, description="Failed sign-ins from one address in the window before it is refused."
    )
    idempotency_ttl_hours: int = Field(default=24, description="How long an Idempotency-Key is remembered.")
    log_level: str = Field(default="INFO", description="Log level of the service.")
    protection_retention_days: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_RETENTION_DAYS),
        description="Days protected details are kept after collection, per collection purpose (JSON).",
    )
    break_glass_minutes: int = Field(
        default=60, ge=1, le=24 * 60, description="How long a break-glass grant opens a record by default."
    )
    audit_signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 key that signs the audit chain's head and checkpoints; kept outside the "
        "database. Default <var_dir>/keys/audit-signing.key (made 0600 on first use).",
    )
    audit_checkpoint_every: int = Field(
        default=1000, ge=1, le=1_000_000, description="A signed audit checkpoint every this many entries."
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="File (outside the database) the signed audit checkpoints are appended to. "
        "Default <var_dir>/audit/checkpoints.jsonl.",
    )

    kek_file: Path | None = Field(
        default=None,
        description="Key-encryption key file (32 random bytes, mode 0600), outside the database: wraps "
        "every site data key. Default <var_dir>/keys/kek.key (made by `safepassage keys init` or on "
        "first use while no site key exists).",
    )
    kek: SecretStr = Field(
        default=SecretStr(""),
        description="The key-encryption key as a base64 secret (32 bytes). When set it is the current "
        "KEK and kek_file is only read as a previous one.",
    )
    kek_previous_files: list[Path] = Field(
        default_factory=list,
        description="Earlier KEK files still accepted for unwrapping during a rotation (JSON list). "
        "Files <kek_file>.<id>.retired beside kek_file are accepted too.",
    )
    kek_previous: SecretStr = Field(
        default=SecretStr(""),
        description="Earlier KEKs as base64 secrets, comma-separated, still accepted for unwrapping.",
    )
    keystore_dir: Path | None = Field(
        default=None,
        description="Directory of the site data keys, each wrapped by the KEK; never inside the "
        "database or its backups. Default <var_dir>/keys/sites. Shared by every server process.",
    )
    movement_policy_file: Path | None = Field(
        default=None,
        description="The operation's movement policy (TOML): who may be planned, priority tiers, legs "
        "reserved for some tiers or categories, solver limits. Empty: the built-in default.",
    )
    boarding_pass_key_file: Path | None = Field(
        default=None,
        description="Ed25519 key that signs boarding-pass tokens; kept outside the database. Default "
        "<var_dir>/keys/boarding-pass.key (made 0600 on first use).",
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
