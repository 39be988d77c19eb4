from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from runtime import keys
from runtime.settings import ServiceSettings, shared


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    service_name: str = "auth"
    http_port: int = 8001
    private_key: SecretStr | None = Field(None, validation_alias=shared("FSE_AUTH_PRIVATE_KEY"))
    token_lifetime_seconds: int = 900

    def resolved_private_key(self) -> bytes:
        return keys.auth_private_key(self.private_key, self.data_dir)
