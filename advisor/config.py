"""Service settings: the only place that reads environment variables (prefix ``ADVISOR_``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_ENVS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
SECRET_ENV_PREFIX = "ADVISOR_SECRET_"


class Settings(BaseSettings):
    """How the service runs. Every field can be set as ``ADVISOR_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", extra="ignore")

    data_dir: Path = Field(default=Path("advisor-data"), description="Folder for the SQLite store and temp files.")
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL, e.g. postgresql+psycopg://user@127.0.0.1:5432/advisor; "
            "default: sqlite:///<data_dir>/advisor.db"
        ),
    )
    admin_token: SecretStr | None = Field(
        default=None, description="Token for POST /v1/projects (creating projects and their API keys)."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_bytes: int = Field(default=200 * 2**20, ge=1, description="Largest accepted sample upload.")
    executor: Literal["inprocess", "ray"] = "inprocess"
    ray_address: str | None = Field(default=None, description="ray.init(address=...); None starts a local Ray.")
    teacher_requests_per_minute: float | None = Field(
        default=None,
        gt=0,
        description="One global rate limit on teacher calls across all runs (Ray executor).",
    )
    max_concurrent_runs: int = Field(default=2, ge=1)
    lease_s: float = Field(
        default=30.0, gt=0, description="A run whose worker sent no heartbeat for this long is resumed."
    )
    secret_envs: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SECRET_ENVS),
        description=f"Environment variables a model config may name as its key (or {SECRET_ENV_PREFIX}*).",
    )
    secrets_dir: Path | None = Field(
        default=None, description="Folder under which 'file:' secret references may point."
    )

    def db_url(self) -> str:
        """The SQLAlchemy URL of the store."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'advisor.db').resolve()}"

    def secret_env_allowed(self, name: str) -> bool:
        """Whether a model config may name the environment variable ``name`` as its key."""
        return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)) and (
            name in self.secret_envs or name.startswith(SECRET_ENV_PREFIX)
        )
