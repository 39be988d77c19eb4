import socket
from decimal import Decimal

from pydantic_settings import SettingsConfigDict

from contracts import topics
from runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TARIFF_", extra="ignore")

    service_name: str = "tariff"
    http_port: int = 8003
    # Maximum fee for rose / bulle cards as a multiple of the base; None = data/rules.toml's
    # ASSUMPTION (Monaco's maxima were not found).
    fee_maximum_rose: Decimal | None = None
    fee_maximum_bulle: Decimal | None = None
    eligibility_topic: str = topics.ELIGIBILITY
    # ClaimCancelled, read by the same group as the verdicts (one consumer, one inbox).
    claims_topic: str = topics.CLAIMS
    nomenclature_topic: str = topics.TARIFF
    consumer_group: str = "tariff"
    # Each instance applies every published version to its own memory: its own consumer group.
    instance_id: str = socket.gethostname()
