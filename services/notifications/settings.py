from typing import Self

from pydantic import Field, FilePath, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    http_port: int = 8005

    # SMTP relay (NOTIFICATIONS_SMTP_HOST, ...): the embedded default points at the mail sink of `make run`.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "FSE Caisses Sociales de Monaco <ne-pas-repondre@fse.caisses-sociales.mc>"
    smtp_starttls: bool = False  # upgrade the connection with STARTTLS (port 587)
    smtp_implicit_tls: bool = False  # TLS from the first byte (SMTPS, port 465)
    smtp_ca_file: FilePath | None = None  # PEM: the CAs that sign the relay's certificate (else the system's)
    smtp_username: str | None = None  # with the password: AUTH, only over TLS
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 10.0
    smtp_helo_name: str | None = None  # the name we give in EHLO; the host name by default
    # A connection stays open between delivery passes for this long, then is closed (relays wait
    # minutes for a command: RFC 5321 asks 5); a pass reuses it instead of connecting again.
    smtp_keep_seconds: float = 10.0

    # Delivery: a pass as soon as e-mails are recorded, and every `delivery_poll_seconds` for retries and
    # for what another instance recorded; a failure is retried after base x 2^(n-1) seconds, capped,
    # until `delivery_max_attempts` (about 5 days at the defaults).
    delivery_poll_seconds: float = 1.0
    delivery_batch: int = 50
    delivery_senders: int = 4  # e-mails in flight at once, each sender on its own SMTP connection
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    delivery_max_attempts: int = 130
    # On SQLite a pass takes its deliveries for this long before sending them; those of an instance that
    # died are taken again once it runs out. At least two SMTP attempts (6 x smtp_timeout_seconds), so
    # that a living instance's lease never runs out while it sends.
    delivery_lease_seconds: float = Field(120.0, gt=0)

    # A notice and its e-mails are deleted this many days after the notice was made (once none of its
    # e-mails is still being tried): a year, as long as the claims' history. Longer than the inbox
    # remembers an event, so that an event delivered again never finds its notice gone and sends again.
    retention_days: int = Field(366, ge=1)
    retention_interval_seconds: float = 3600.0

    @model_validator(mode="after")
    def _kept_longer_than_the_inbox_remembers(self) -> Self:
        if self.retention_days <= self.inbox_retention_days:
            raise ValueError(
                f"retention_days: {self.retention_days} must be more than the inbox's retention "
                f"({self.inbox_retention_days} days), or an event delivered again would send its notice again"
            )
        return self

    @model_validator(mode="after")
    def _lease_outlasts_two_attempts(self) -> Self:
        two_attempts = 2 * self.smtp_attempt_seconds
        if self.delivery_lease_seconds < two_attempts:
            raise ValueError(
                f"delivery_lease_seconds: {self.delivery_lease_seconds:g} must be at least two SMTP attempts "
                f"({two_attempts:g} s: 6 x smtp_timeout_seconds), or a lease could run out while its "
                "instance is still sending"
            )
        return self

    @property
    def smtp_attempt_seconds(self) -> float:
        """An attempt, connecting included, ends within three SMTP timeouts whatever the server does."""
        return 3 * self.smtp_timeout_seconds

    @model_validator(mode="after")
    def _credentials_whole_and_only_over_tls(self) -> Self:
        # Empty counts as missing (a secret's key present but empty): the client logs in only with both.
        login = bool(self.smtp_username)
        if login != bool(self.smtp_password and self.smtp_password.get_secret_value()):
            raise ValueError("smtp_username, smtp_password: both or neither (a login needs the two)")
        if login and not (self.smtp_starttls or self.smtp_implicit_tls):
            raise ValueError(
                "smtp_username, smtp_password: sent only over TLS: set smtp_starttls or smtp_implicit_tls"
            )
        return self
