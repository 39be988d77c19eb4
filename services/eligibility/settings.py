from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from runtime.settings import ServiceSettings
from services.eligibility.domain.throttle import Limit


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="ignore")

    service_name: str = "eligibility"
    http_port: int = 8002
    # After a new code FSE is issued, the previous one is still accepted this long.
    code_fse_grace_days: float = 30.0
    # Failed code checks (see domain/throttle.py for the reasoning behind the numbers).
    matricule_max_failures: int = 5
    matricule_window_minutes: float = 15.0
    matricule_lockout_minutes: float = 15.0
    caller_max_failures: int = 20
    caller_window_minutes: float = 60.0
    caller_lockout_minutes: float = 60.0
    demo_households: int = 200
    # A lookup's audit row is deleted this many days after the lookup (service_layer/retention.py), and
    # spent failure counters with it, every `retention_interval_seconds`.
    lookup_audit_retention_days: int = Field(366, ge=1)
    retention_interval_seconds: float = 3600.0

    @property
    def code_fse_grace(self) -> timedelta:
        return timedelta(days=self.code_fse_grace_days)

    @property
    def matricule_limit(self) -> Limit:
        return Limit(
            self.matricule_max_failures,
            timedelta(minutes=self.matricule_window_minutes),
            timedelta(minutes=self.matricule_lockout_minutes),
        )

    @property
    def caller_limit(self) -> Limit:
        return Limit(
            self.caller_max_failures,
            timedelta(minutes=self.caller_window_minutes),
            timedelta(minutes=self.caller_lockout_minutes),
        )

    @property
    def longest_throttle_window(self) -> timedelta:
        """A counter whose window began longer ago than this, and which no lock holds, is spent."""
        return max(self.matricule_limit.window, self.caller_limit.window)
