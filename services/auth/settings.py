from datetime import timedelta

from pydantic import Field, SecretStr
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

    def resolved_private_key(self) -> bytes:
        return keys.auth_private_key(self.private_key, self.data_dir)

    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(minutes=self.idle_timeout_minutes),
            absolute=timedelta(hours=self.absolute_timeout_hours),
            access_token=timedelta(seconds=self.token_lifetime_seconds),
        )
