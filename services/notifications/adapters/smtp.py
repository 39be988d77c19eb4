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
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.policy import compat32
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


_TEXT = Charset("utf-8")
_TEXT.body_encoding = QP  # the text stays readable in the raw message; any line length is safe
_WIRE = compat32.clone(linesep="\r\n")  # SMTP's line ends: smtplib sends bytes as they are


def compose(sender: str, email: Email) -> bytes:
    """The e-mail as it is sent: plain UTF-8 text, the subject encoded per RFC 2047 when not ASCII.

    Built with the email package's compat32 classes: 0.45 ms where `EmailMessage` (the default policy,
    which parses every header it is given) took 1.2 ms, and its serialization for sending more again.
    Header values come from our own templates and validated addresses; a line break in one is refused
    all the same, since compat32 would write it as is."""
    for name, value in (
        ("From", sender),
        ("To", email.to),
        ("Subject", email.subject),
        ("Message-ID", email.message_id),
    ):
        if "\r" in value or "\n" in value:
            raise SendError(f"{name}: a header cannot hold a line break")
    headers: dict[str, str | Header] = {
        "From": sender,
        "To": email.to,
        "Subject": email.subject if email.subject.isascii() else Header(email.subject, "utf-8"),
        "Message-ID": email.message_id,
        "Date": format_datetime(email.date),
        "Content-Language": "fr",
        "Auto-Submitted": "auto-generated",  # RFC 3834: no auto-replies to a notice
    }
    message: Message[str, str | Header] = Message()
    message.set_payload(email.body, _TEXT)  # MIME-Version, Content-Type text/plain, quoted-printable
    for name, header in headers.items():
        message[name] = header
    return message.as_bytes(policy=_WIRE)


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
                    self._smtp.sendmail(self._settings.smtp_sender, [email.to], message)
                    return
                except smtplib.SMTPServerDisconnected:
                    self.close()  # closed by the server since the last e-mail: once more, afresh
            self._smtp = self._connect()
            self._smtp.sendmail(self._settings.smtp_sender, [email.to], message)
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
