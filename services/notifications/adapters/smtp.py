"""The SMTP client: e-mails composed here and sent over a session of `smtp_session`, on the event loop
(no worker thread; the envelope pipelined where the server offers it). Refusals and connection failures
come back as `SendError` naming the cause, and so does anything else that goes wrong in an attempt, so
that it is recorded and retried like a refusal. A delivery pass sends its e-mails over one connection
(`Mailer.connection`), opened at the first e-mail, opened again after a failure or when the server
closed it between two e-mails, and kept open for the next pass until it has been idle for
`smtp_keep_seconds` (`Mailer.close_idle`). An attempt ends within `Mailer.attempt_limit`, whatever the
server does.

TLS (STARTTLS or implicit) checks the relay's certificate and name against the system's CAs or those of
`smtp_ca_file`; credentials go only over TLS (the settings refuse them otherwise), in UTF-8 (AUTH PLAIN,
else LOGIN)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import socket
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, parseaddr

from services.notifications.adapters.smtp_session import (
    DisconnectedError,
    Greeting,
    NotOfferedError,
    RefusalError,
    Session,
)
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


_ENCODED_WORD_BYTES = 39  # base64 of 39 bytes in "=?utf-8?b?...?=" fits a folded header line of 78


def _encoded_words(text: str) -> str:
    """A non-ASCII header value as RFC 2047 encoded words (base64 UTF-8), one a folded line, never
    cutting a character in two."""
    words, chunk = [], b""
    for character in text:
        encoded = character.encode()
        if len(chunk) + len(encoded) > _ENCODED_WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


def compose(sender: str, email: Email) -> bytes:
    """The e-mail as it is sent (RFC 5322 and MIME): plain UTF-8 text in quoted-printable, so that it
    stays readable in the raw message and any line length is safe; the subject in RFC 2047 encoded
    words when it is not ASCII; CRLF line ends, as SMTP sends them.

    Written directly rather than through the email package, whose header folding alone cost 0.2-0.4 ms
    an e-mail (a sixth of the delivery task's CPU): header values come from our own templates and
    validated addresses, and a line break in one is refused."""
    for name, value in (
        ("From", sender),
        ("To", email.to),
        ("Subject", email.subject),
        ("Message-ID", email.message_id),
    ):
        if "\r" in value or "\n" in value:
            raise SendError(f"{name}: a header cannot hold a line break")
    subject = email.subject if email.subject.isascii() else _encoded_words(email.subject)
    text = email.body.replace("\r\n", "\n").replace("\r", "\n")
    body = binascii.b2a_qp(text.encode(), istext=True).replace(b"\n", b"\r\n")
    headers = (
        f"From: {sender}\r\n"
        f"To: {email.to}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {email.message_id}\r\n"
        f"Date: {format_datetime(email.date)}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "Content-Language: fr\r\n"
        "Auto-Submitted: auto-generated\r\n"  # RFC 3834: no auto-replies to a notice
        "\r\n"
    )
    return headers.encode() + body  # UTF-8 only where an address is (RFC 6532, sent with SMTPUTF8)


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._sender = parseaddr(settings.smtp_sender)[1]  # the envelope's: the address alone
        self.attempt_limit = timedelta(seconds=settings.smtp_attempt_seconds)
        login = None
        if settings.smtp_username and settings.smtp_password:
            login = settings.smtp_username, settings.smtp_password.get_secret_value()
        tls = settings.smtp_starttls or settings.smtp_implicit_tls
        self._greeting = Greeting(
            settings.smtp_host,
            settings.smtp_port,
            # Our name in EHLO: configured, or the host's name as is (never resolved through DNS).
            settings.smtp_helo_name or socket.gethostname(),
            settings.smtp_timeout_seconds,
            ssl.create_default_context(cafile=settings.smtp_ca_file) if tls else None,
            starttls=settings.smtp_starttls,
            implicit=settings.smtp_implicit_tls,
            login=login,
        )
        # Connections between passes, with the moment each was left, the last left last.
        self._kept: list[tuple[float, Connection]] = []

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection for several e-mails in turn (a delivery pass): the one an earlier pass used last,
        if one is kept, and kept afterwards for the next pass (closed if the pass was interrupted)."""
        if self._kept:
            connection = self._kept.pop()[1]
        else:
            sender = self._settings.smtp_sender
            connection = Connection(sender, self._sender, self._greeting, self.attempt_limit)
        try:
            yield connection
        except BaseException:
            await connection.close()
            raise
        self._kept.append((time.monotonic(), connection))

    async def close_idle(self) -> None:
        """Close the kept connections that have waited `smtp_keep_seconds` or more for a pass."""
        cutoff = time.monotonic() - self._settings.smtp_keep_seconds
        idle = [connection for since, connection in self._kept if since <= cutoff]
        self._kept = [(since, connection) for since, connection in self._kept if since > cutoff]
        for connection in idle:
            await connection.close()

    async def close(self) -> None:
        """Close every kept connection (the service stops)."""
        kept, self._kept = self._kept, []
        for _since, connection in kept:
            await connection.close()


class Connection:
    """Opened at the first e-mail, and again after a failure that closed it or when the server closed
    it between two e-mails."""

    def __init__(self, sender: str, envelope_sender: str, greeting: Greeting, limit: timedelta) -> None:
        self._sender = sender
        self._envelope_sender = envelope_sender
        self._greeting = greeting
        self._limit = limit.total_seconds()
        self._session: Session | None = None

    async def send(self, email: Email) -> None:
        try:
            message = compose(self._sender, email)
            async with asyncio.timeout(self._limit):
                await self._send(email.to, message)
        except SendError:
            raise
        except RefusalError as error:
            await self._after_refusal()
            if error.command == "RCPT":
                raise SendError(f"SMTP recipient refused [{error.reply.code}]") from None
            raise SendError(f"SMTP {error.reply.code}") from None
        except NotOfferedError as error:
            await self._after_refusal()
            raise SendError(f"SMTP: {error} not offered by the server") from None
        except (OSError, TimeoutError) as error:  # the connection's own, TLS's, the server's close
            await self.close()
            raise SendError(type(error).__name__) from None
        except Exception as error:  # not foreseen: the session's state is unknown, so it is closed
            await self.close()
            raise SendError(f"unexpected {type(error).__name__}") from None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _send(self, to: str, message: bytes) -> None:
        if self._session is not None and self._session.usable:
            try:
                await self._session.send(self._envelope_sender, to, message)
                return
            except DisconnectedError as error:
                if not error.before_content:
                    raise
        await self.close()  # closed by the server since the last e-mail: once more, afresh
        self._session = await Session.open(self._greeting)
        await self._session.send(self._envelope_sender, to, message)

    async def _after_refusal(self) -> None:
        """A refused e-mail leaves the session usable once reset; a connection that cannot be reset is
        closed, and the next e-mail opens another."""
        if self._session is None:
            return
        try:
            await self._session.reset()
        except (OSError, TimeoutError, RefusalError):
            await self.close()
