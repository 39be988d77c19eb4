"""One settings mechanism: pydantic-settings read from the environment.

Shared names have no prefix (KAFKA_BOOTSTRAP_SERVERS, FSE_DATA_DIR); a service's own have its prefix
(CLAIMS_DATABASE_URL, CLAIMS_HTTP_PORT).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def shared(name: str) -> AliasChoices:
    return AliasChoices(name)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:19092", validation_alias=shared("KAFKA_BOOTSTRAP_SERVERS")
    )
    data_dir: Path = Field(Path("var"), validation_alias=shared("FSE_DATA_DIR"))
    database_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    data_key: SecretStr | None = Field(None, validation_alias=shared("FSE_DATA_KEY"))
    auth_public_key: SecretStr | None = Field(None, validation_alias=shared("FSE_AUTH_PUBLIC_KEY"))
    kafka_session_timeout_ms: int = Field(10_000, validation_alias=shared("FSE_KAFKA_SESSION_TIMEOUT_MS"))
    kafka_fetch_max_wait_ms: int = Field(10, validation_alias=shared("FSE_KAFKA_FETCH_MAX_WAIT_MS"))
    kafka_background_wait_ms: int = Field(250, validation_alias=shared("FSE_KAFKA_BACKGROUND_WAIT_MS"))
    kafka_max_records: int = Field(500, validation_alias=shared("FSE_KAFKA_MAX_RECORDS"))
    kafka_commit_interval_ms: int = Field(200, validation_alias=shared("FSE_KAFKA_COMMIT_INTERVAL_MS"))
    #: days a consumer remembers an event it processed: more than the longest retention of its topics.
    inbox_retention_days: int = Field(30, ge=1, validation_alias=shared("FSE_INBOX_RETENTION_DAYS"))
    demo: bool = Field(False, validation_alias=shared("FSE_DEMO"))

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / (self.service_name + '.db')}"

    def resolved_data_key(self) -> bytes:
        from runtime import keys

        return keys.data_key(self.data_key, self.data_dir)

    def resolved_auth_public_key(self) -> bytes:
        from runtime import keys

        return keys.auth_public_key(self.auth_public_key, self.data_dir)
