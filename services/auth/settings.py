from datetime import timedelta
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from runtime import keys
from runtime.settings import ServiceSettings, shared
from services.auth.domain.sessions import SessionPolicy


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    service_name: str = "auth"
    http_port: int = 8001
    private_key: SecretStr | None = Field(None, validation_alias=shared("FSE_AUTH_PRIVATE_KEY"))
    token_lifetime_seconds: int = Field(300, ge=30, le=900)
    idle_timeout_minutes: int = Field(30, ge=1)
    absolute_timeout_hours: int = Field(12, ge=1)
    # A session's row is deleted this many days after the session began, ended or not: none lives
    # longer than the absolute timeout. Its login and its end stay on fse.auth (the audit).
    session_retention_days: int = Field(30, ge=1)
    retention_interval_seconds: float = 3600.0

    @model_validator(mode="after")
    def _sessions_kept_longer_than_they_live(self) -> Self:
        days, hours = self.session_retention_days, self.session_retention_days * 24
        if hours <= self.absolute_timeout_hours:
            raise ValueError(
                f"session_retention_days: {days} ({hours} hours) must be longer than the absolute timeout"
                f" ({self.absolute_timeout_hours} hours), or a session still alive would be deleted"
            )
        return self

    def resolved_private_key(self) -> bytes:
        return keys.auth_private_key(self.private_key, self.data_dir)

    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(minutes=self.idle_timeout_minutes),
            absolute=timedelta(hours=self.absolute_timeout_hours),
            access_token=timedelta(seconds=self.token_lifetime_seconds),
        )
