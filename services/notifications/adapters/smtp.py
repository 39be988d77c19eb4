"""The SMTP client: the standard library's smtplib, run in a worker thread so the event loop never waits
on the mail server. Refusals and connection failures come back as `SendError` naming the cause. A
delivery pass sends its e-mails over one connection (`Mailer.connection`), opened at the first e-mail,
opened again after a failure or when the server closed it between two e-mails."""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import ssl
from collections.abc import AsyncIterator
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

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection for several e-mails in turn (a delivery pass), closed at the end."""
        connection = Connection(self._settings)
        try:
            yield connection
        finally:
            await asyncio.to_thread(connection.close)


class Connection:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None

    async def send(self, email: Email) -> None:
        # Composed in the worker too: composing and serializing a message costs ~0.7 ms (email package).
        await asyncio.to_thread(self._send, email)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()

    def _hostname(self) -> str:
        """Our name in EHLO: configured, or the host's name as is (smtplib's default resolves it through
        DNS on every connection, which can stall for seconds)."""
        return self._settings.smtp_helo_name or socket.gethostname()

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        smtp: smtplib.SMTP
        if settings.smtp_implicit_tls:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                self._hostname(),
                timeout=settings.smtp_timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(
                settings.smtp_host,
                settings.smtp_port,
                self._hostname(),
                timeout=settings.smtp_timeout_seconds,
            )
        try:
            if settings.smtp_starttls and not settings.smtp_implicit_tls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _send(self, email: Email) -> None:
        message = compose(self._settings.smtp_sender, email)
        try:
            if self._smtp is not None:
                try:
                    self._smtp.send_message(message)
                    return
                except smtplib.SMTPServerDisconnected:
                    self.close()  # closed by the server since the last e-mail: once more, afresh
            self._smtp = self._connect()
            self._smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            self._after_refusal()
            raise SendError(f"SMTP {error.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as error:
            self._after_refusal()
            codes = sorted({code for code, _ in error.recipients.values()})
            raise SendError(f"SMTP recipient refused {codes}") from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise SendError(type(error).__name__) from None

    def _after_refusal(self) -> None:
        """A refused e-mail leaves the session usable once reset; a connection that cannot be reset is
        closed, and the next e-mail opens another."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()
