"""The SMTP client: the standard library's smtplib, run in a worker thread so the event loop never waits
on the mail server. Refusals and connection failures come back as `SendError` naming the cause, and so
does anything else that goes wrong in an attempt, so that it is recorded and retried like a refusal. A
delivery pass sends its e-mails over one connection (`Mailer.connection`), opened at the first e-mail,
opened again after a failure or when the server closed it between two e-mails.

TLS (STARTTLS or implicit) checks the relay's certificate and name against the system's CAs or those of
`smtp_ca_file`; credentials go only over TLS (the settings refuse them otherwise), in UTF-8 (AUTH PLAIN,
else LOGIN)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import smtplib
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
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
    words when it is not ASCII; CRLF line ends, which smtplib sends as they are.

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

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self._settings.smtp_ca_file)

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        smtp: smtplib.SMTP
        if settings.smtp_implicit_tls:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                self._hostname(),
                timeout=settings.smtp_timeout_seconds,
                context=self._tls(),
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
                smtp.starttls(context=self._tls())
            if settings.smtp_username and settings.smtp_password:
                _login(smtp, settings.smtp_username, settings.smtp_password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _send(self, email: Email) -> None:
        try:
            self._dialogue(email)
        except SendError:
            raise
        except Exception as error:  # not foreseen: the session's state is unknown, so it is closed
            self.close()
            raise SendError(f"unexpected {type(error).__name__}") from None

    def _dialogue(self, email: Email) -> None:
        sender, to = self._settings.smtp_sender, email.to
        message = compose(sender, email)
        # An address beyond ASCII (which an address may be) needs the server's SMTPUTF8 (RFC 6531).
        options = () if to.isascii() and sender.isascii() else ("SMTPUTF8",)
        try:
            if self._smtp is not None:
                try:
                    self._smtp.sendmail(sender, [to], message, mail_options=options)
                    return
                except smtplib.SMTPServerDisconnected:
                    self.close()  # closed by the server since the last e-mail: once more, afresh
            self._smtp = self._connect()
            self._smtp.sendmail(sender, [to], message, mail_options=options)
        except smtplib.SMTPNotSupportedError as error:  # SMTPUTF8 (a non-ASCII address), STARTTLS, AUTH
            raise SendError(f"SMTP: {error}") from None
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


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """AUTH with the credentials in UTF-8: PLAIN (RFC 4616) where the relay offers it, else LOGIN (what
    some relays offer alone). smtplib's own `login` encodes them in ASCII, so a password beyond ASCII
    failed every attempt; it serves the relays that offer neither (CRAM-MD5)."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = smtp.esmtp_features["auth"].upper().split()
    if "PLAIN" in offered:
        code, reply = smtp.docmd("AUTH", "PLAIN " + _base64("\0".join(("", username, password))))
    elif "LOGIN" in offered:
        code, reply = smtp.docmd("AUTH", f"LOGIN {_base64(username)}")
        if code == 334:  # RFC 4954: the password, please
            code, reply = smtp.docmd(_base64(password))
    else:
        smtp.login(username, password)
        return
    if code != 235:  # RFC 4954: authentication succeeded
        raise smtplib.SMTPAuthenticationError(code, reply)


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
