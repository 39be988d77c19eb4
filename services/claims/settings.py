from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    service_name: str = "claims"
    http_port: int = 8004
    #: base64 of a 32-byte Ed25519 seed for signing receipts; derived from the data key when unset.
    receipt_seed: SecretStr | None = None
    #: months kept (claims, forms, payments); older ones are purged by the retention job.
    retention_months: int = Field(12, ge=1)
    retention_interval_seconds: float = 3600.0
