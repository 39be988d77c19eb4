"""A small SMTP server (aiosmtpd) that keeps what it receives: the embedded default's mailbox (one .eml
file per message under a directory) and the tests' mail server. It can be told to answer 4xx, and to
stand for a production relay: TLS (STARTTLS required, or implicit) and AUTH with one login."""

from __future__ import annotations

import asyncio
import functools
import hmac
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from runtime.tansu import free_port


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    raw: bytes
    peer: tuple[str, int] | None = None  # the client's address and port: one per connection
    login: str | None = None  # the login the client authenticated with
    over_tls: bool = False

    @functools.cached_property
    def message(self) -> EmailMessage:
        """The message, parsed when first asked for: a benchmark receives thousands that nobody reads."""
        return message_from_bytes(self.raw, _class=EmailMessage, policy=policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def text(self) -> str:
        body = self.message.get_body(("plain",))
        return "" if body is None else str(body.get_content())


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self._sink.refuse:
            return self._sink.refuse
        await asyncio.sleep(self._sink.delay)
        peer = tuple(session.peer) if session.peer else None
        login = session.auth_data.login.decode() if session.authenticated else None
        tls = server.transport.get_extra_info("ssl_object") is not None  # STARTTLS or implicit
        self._sink.keep(Received(tuple(envelope.rcpt_tos), envelope.content, peer, login, tls))
        return "250 OK"


class MailSink:
    def __init__(
        self,
        directory: Path | None = None,
        port: int | None = None,
        *,
        smtputf8: bool = True,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
        mechanisms_left_out: tuple[str, ...] = (),
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.smtputf8 = smtputf8  # offers SMTPUTF8 (RFC 6531): addresses beyond ASCII
        self.tls = tls  # STARTTLS, required before anything else; from the first byte if `implicit_tls`
        self.implicit_tls = implicit_tls
        self.credentials = credentials  # AUTH required, with this login and password (over TLS only)
        self.mechanisms_left_out = mechanisms_left_out  # AUTH mechanisms not offered, e.g. ("PLAIN",)
        self.refuse: str | None = None  # e.g. "451 4.3.0 try again later"
        self.delay = 0.0  # seconds before accepting each message
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def keep(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)
            number = len(self.received)
        if self.directory is not None:
            (self.directory / f"{number:06d}.eml").write_bytes(received.raw)

    def start(self) -> MailSink:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        options: dict[str, Any] = {"enable_SMTPUTF8": self.smtputf8}
        if self.tls is not None:
            options |= {"ssl_context": self.tls} if self.implicit_tls else {"tls_context": self.tls}
            options["require_starttls"] = not self.implicit_tls
        if self.credentials is not None:
            options |= {"authenticator": self._authenticate, "auth_required": True}
            options["auth_require_tls"] = not self.implicit_tls  # implicit: the whole session is TLS
            options["auth_exclude_mechanism"] = self.mechanisms_left_out
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def _authenticate(self, *args: Any) -> AuthResult:
        """aiosmtpd's authenticator (server, session, envelope, mechanism, data): the one login."""
        data = args[-1]
        assert self.credentials is not None
        login, password = (value.encode() for value in self.credentials)
        ok = isinstance(data, LoginPassword) and data.login == login
        success = ok and hmac.compare_digest(data.password, password)
        return AuthResult(success=success, handled=False, auth_data=data)  # refused: 535

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
