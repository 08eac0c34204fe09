"""One Settings object, read once from VITRINE_* environment variables and an optional file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Refused in production by _refuse_default_secret_outside_development below.
DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105


def _settings_file() -> str | None:
    return os.environ.get("VITRINE_SETTINGS_FILE")


class Settings(BaseSettings):
    """Everything configurable about one Vitrine installation."""

    model_config = SettingsConfigDict(env_prefix="VITRINE_", extra="forbid")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(default=Path("vitrine-data"), description="Media, indexes, SQLite db.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite at <data_dir>/vitrine.db.",
    )
    database_pool_size: int = Field(
        default=5, ge=1, le=200, description="Database connections each server process keeps."
    )
    database_max_overflow: int = Field(
        default=10, ge=0, le=200, description="Extra connections a process may open at a peak."
    )
    analytics_queue_size: int = Field(
        default=10_000, ge=1, le=1_000_000, description="Shopper events waiting to be stored."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str = DEVELOPMENT_SECRET
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    languages: list[str] = Field(default_factory=lambda: ["fr", "en", "zh"])
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    search_index_uri: str = Field(
        default="",
        description="Empty: FAISS in the data dir; else a Milvus URI (server or milvus-lite).",
    )
    review_photo_days: int = Field(
        default=30, ge=0, le=365, description="How long shoppers' unrecognised photos are kept."
    )
    public_url: str = Field(
        default="",
        description="Base URL printed in QR shelf tags; empty means the URL the operator uses.",
    )
    pickup_hold_days: float = Field(default=3, gt=0, description="How long a pickup code works.")
    pickup_reminder_hours: float = Field(default=24, ge=0, description="Reminder before expiry.")
    reservation_minutes: float = Field(default=30, gt=0, description="Unpaid locker hold.")
    locker_fallback_km: float = Field(default=3.0, ge=0, description="Reach of the fallback.")
    checkout_recovery_minutes: float = Field(
        default=5,
        ge=0,
        description="Age after which housekeeping settles an order a crash left in 'placed'.",
    )
    redis_url: str = Field(
        default="",
        description=(
            "Redis for live-shopping fan-out and rate limits shared across processes; "
            "empty means in-process."
        ),
    )
    redis_key_prefix: str = Field(
        default="vitrine",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="Prefix of this installation's rate-limit keys in Redis.",
    )
    workers: int = Field(
        default=1, ge=1, le=64, description="Server processes that `vitrine serve` starts."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="text for a terminal, json for one JSON object per line."
    )
    search_concurrency: int = Field(
        default=2, ge=1, le=64, description="Photo searches run at once per server process."
    )
    search_queue: int = Field(
        default=8, ge=0, le=1000, description="Searches that may wait; past it, 503 at once."
    )
    search_wait_seconds: float = Field(
        default=8.0, gt=0, le=60, description="Longest wait in the queue before a 503."
    )
    search_nice: int = Field(
        default=5,
        ge=0,
        le=19,
        description="How much lower the CPU priority of search threads is than page threads.",
    )
    smtp_host: str = Field(default="", description="SMTP relay for email; empty: no email sent.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = Field(default="", description="From address of the shop's email.")
    smtp_ca_file: Path | None = Field(default=None, description="A private CA to trust.")
    operator_idle_minutes: float = Field(
        default=60, gt=0, description="An operator session ends after this long without a request."
    )
    operator_session_hours: float = Field(
        default=12, gt=0, description="An operator session ends this long after sign-in."
    )
    locker_sizes: dict[str, tuple[int, int, int]] = Field(
        default_factory=lambda: {"S": (8, 38, 64), "M": (19, 38, 64), "L": (41, 38, 64)},
        description="Compartment sizes: code -> inner height, width, depth in cm.",
    )

    @field_validator("data_dir")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("VITRINE_SECRET_KEY must be set to a real secret in production")
        return self

    @model_validator(mode="after")
    def _smtp_needs_a_from_address(self) -> Settings:
        if self.smtp_host and "@" not in self.smtp_from:
            raise ValueError("VITRINE_SMTP_FROM must be an email address when SMTP_HOST is set")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vitrine.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def sandbox_ledger(self) -> Path:
        """The sandbox payment gateway's own ledger (another system's data, not ours)."""
        return self.data_dir / "sandbox-gateway.sqlite3"

    @property
    def review_dir(self) -> Path:
        return self.data_dir / "review-photos"


def load_settings(**overrides: object) -> Settings:
    """Settings from overrides, then VITRINE_* variables, then the file VITRINE_SETTINGS_FILE."""
    env_file = _settings_file()
    if env_file is not None and not Path(env_file).is_file():
        raise FileNotFoundError(f"settings file {env_file} (VITRINE_SETTINGS_FILE) does not exist")
    return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg, arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
