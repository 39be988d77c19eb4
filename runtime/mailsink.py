"""A small SMTP server (aiosmtpd) that keeps what it receives: the embedded default's mailbox (one .eml
file per message under a directory) and the tests' mail server. It can be told to answer 4xx."""

from __future__ import annotations

import asyncio
import functools
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from runtime.tansu import free_port


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    raw: bytes
    peer: tuple[str, int] | None = None  # the client's address and port: one per connection

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

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self._sink.refuse:
            return self._sink.refuse
        await asyncio.sleep(self._sink.delay)
        peer = tuple(session.peer) if session.peer else None
        self._sink.keep(Received(tuple(envelope.rcpt_tos), envelope.content, peer))
        return "250 OK"


class MailSink:
    def __init__(
        self, directory: Path | None = None, port: int | None = None, *, smtputf8: bool = True
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.smtputf8 = smtputf8  # offers SMTPUTF8 (RFC 6531): addresses beyond ASCII
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
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
