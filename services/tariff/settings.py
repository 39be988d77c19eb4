from pydantic_settings import SettingsConfigDict

from runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TARIFF_", extra="ignore")

    service_name: str = "tariff"
    http_port: int = 8003
