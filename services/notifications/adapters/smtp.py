"""The SMTP client: the standard library's smtplib, run in a worker thread so the event loop never waits
on the mail server. Refusals and connection failures come back as `SendError` naming the cause."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from services.notifications.settings import Settings


class SendError(Exception):
    """A failed attempt; the message names the cause (SMTP code or error class), never the address."""


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    message_id: str
    date: datetime


def compose(sender: str, email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(email.date)
    message["Content-Language"] = "fr"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a notice
    message.set_content(email.body, charset="utf-8")
    return message


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _hostname(self) -> str:
        """Our name in EHLO: configured, or the host's name as is (smtplib's default resolves it through
        DNS on every connection, which can stall for seconds)."""
        return self._settings.smtp_helo_name or socket.gethostname()

    async def send(self, email: Email) -> None:
        # Composed in the worker too: composing and serializing a message costs ~0.7 ms (email package).
        await asyncio.to_thread(self._send, email)

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        if settings.smtp_implicit_tls:
            return smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                self._hostname(),
                timeout=settings.smtp_timeout_seconds,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, self._hostname(), timeout=settings.smtp_timeout_seconds
        )

    def _send(self, email: Email) -> None:
        settings = self._settings
        message = compose(settings.smtp_sender, email)
        try:
            with self._connect() as smtp:
                if settings.smtp_starttls and not settings.smtp_implicit_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username and settings.smtp_password:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise SendError(f"SMTP {error.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise SendError(f"SMTP recipient refused {codes}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise SendError(type(error).__name__) from None
