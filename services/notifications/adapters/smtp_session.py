"""One SMTP session (RFC 5321) over asyncio streams, on the loop itself: no worker thread, no blocking
socket. It greets the server (EHLO, HELO where EHLO is refused), upgrades with STARTTLS or starts in TLS,
logs in (AUTH PLAIN, RFC 4616, else LOGIN; the credentials in UTF-8), and sends one message per
transaction.

Where the server offers PIPELINING (RFC 2920), a transaction's envelope (MAIL, RCPT, DATA) goes in one
write and its three replies are read together: two round trips a message instead of four. A server that
does not offer it is spoken to command by command.

Every reply is awaited at most `timeout` seconds. What the server refuses is `RefusalError` (the
command and its reply), an extension we need that it does not offer is `NotOfferedError`, a connection
it closes is `DisconnectedError`; sockets' and TLS's own errors pass as they are."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from dataclasses import dataclass
from typing import NamedTuple

_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")
_MAX_LINE = 8192  # a reply line, far past RFC 5321's 512 octets


class Reply(NamedTuple):
    code: int
    text: str


class RefusalError(Exception):
    """The server answered `command` with a reply other than the one it takes to go on."""

    def __init__(self, command: str, reply: Reply) -> None:
        super().__init__(f"{command}: {reply.code}")
        self.command = command
        self.reply = reply


class NotOfferedError(Exception):
    """The server does not offer an extension this message or these settings need."""


class DisconnectedError(ConnectionError):
    """The server closed the connection. `before_content`: before the message's content was sent, so
    that the server cannot have taken it, and it can be sent again at once over a new connection."""

    def __init__(self, before_content: bool) -> None:
        super().__init__("the server closed the connection")
        self.before_content = before_content


@dataclass(frozen=True)
class Greeting:
    """How to open a session: the server, our name in EHLO, TLS (`starttls`, or `implicit` from the
    first byte, checked against `context`), a login (sent only over TLS: the settings see to it)."""

    host: str
    port: int
    helo: str
    timeout: float
    context: ssl.SSLContext | None = None
    starttls: bool = False
    implicit: bool = False
    login: tuple[str, str] | None = None


class Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self._reader = reader
        self._writer = writer
        self._timeout = timeout
        self.extensions: dict[str, str] = {}  # EHLO's keywords, upper case, with their parameters

    @classmethod
    async def open(cls, greeting: Greeting) -> Session:
        """Connected, greeted, in TLS and logged in as `greeting` says; closed again if any step fails."""
        tls = greeting.context if greeting.implicit else None
        async with asyncio.timeout(greeting.timeout):
            reader, writer = await asyncio.open_connection(
                greeting.host,
                greeting.port,
                ssl=tls,
                server_hostname=greeting.host if tls else None,
                limit=_MAX_LINE,
            )
        session = cls(reader, writer, greeting.timeout)
        try:
            await session._expect("greeting", 220)
            await session._hello(greeting.helo)
            if greeting.starttls and not greeting.implicit:
                await session._starttls(greeting)
            if greeting.login is not None:
                await session._login(*greeting.login)
        except BaseException:
            session.abort()
            raise
        return session

    @property
    def usable(self) -> bool:
        """Still usable as far as this side knows: not closed here, no end of stream from the server."""
        return not self._writer.is_closing() and not self._reader.at_eof()

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        """One transaction: `message` (CRLF line ends) from `sender` to `recipient`, accepted by the server
        when this returns. SMTPUTF8 is asked for when an address is not ASCII, SIZE given where offered."""
        options = ""
        if not (sender.isascii() and recipient.isascii()):
            if "SMTPUTF8" not in self.extensions:
                raise NotOfferedError("SMTPUTF8 (an address beyond ASCII)")
            options += " SMTPUTF8"
        if "SIZE" in self.extensions:
            options += f" SIZE={len(message)}"
        envelope = (
            ("MAIL", f"MAIL FROM:<{sender}>{options}", 250),
            ("RCPT", f"RCPT TO:<{recipient}>", 250),
            ("DATA", "DATA", 354),
        )
        try:
            if "PIPELINING" in self.extensions:
                replies = await self._exchange(*(line for _, line, _ in envelope))
            else:
                replies = []
                for _, line, expected in envelope:
                    replies += await self._exchange(line)
                    if replies[-1].code != expected:
                        break
        except ConnectionError as error:  # the server's end of stream, or a reset: nothing sent yet
            raise DisconnectedError(before_content=True) from error
        for (command, _, expected), reply in zip(envelope, replies, strict=False):
            if reply.code != expected and not (command == "RCPT" and reply.code == 251):
                if replies[-1].code == 354:  # DATA taken despite a refusal: end it without a message
                    self.abort()
                raise RefusalError(command, reply)
        stuffed = _DOT_AT_LINE_START.sub(b"..", message)
        self._writer.write(stuffed + (b".\r\n" if stuffed.endswith(b"\r\n") else b"\r\n.\r\n"))
        await self._expect("message", 250)

    async def reset(self) -> None:
        """RSET: the transaction a refusal left is abandoned, the session kept."""
        await self._expect("RSET", 250, "RSET")

    async def close(self) -> None:
        """QUIT, then the connection closed, whatever the server says or fails to."""
        with contextlib.suppress(OSError, ConnectionError, TimeoutError, RefusalError):
            if self.usable:
                await self._expect("QUIT", 221, "QUIT")
        self.abort()
        with contextlib.suppress(OSError, ConnectionError, ssl.SSLError):
            await self._writer.wait_closed()

    def abort(self) -> None:
        self._writer.close()

    async def _hello(self, name: str) -> None:
        (reply,) = await self._exchange(f"EHLO {name}")
        if reply.code != 250:
            await self._expect("HELO", 250, f"HELO {name}")
            self.extensions = {}
            return
        keywords = (line.split(None, 1) for line in reply.text.splitlines()[1:] if line.strip())
        self.extensions = {words[0].upper(): words[1] if len(words) > 1 else "" for words in keywords}

    async def _starttls(self, greeting: Greeting) -> None:
        if "STARTTLS" not in self.extensions:
            raise NotOfferedError("STARTTLS")
        await self._expect("STARTTLS", 220, "STARTTLS")
        async with asyncio.timeout(self._timeout):
            await self._writer.start_tls(
                greeting.context or ssl.create_default_context(), server_hostname=greeting.host
            )
        await self._hello(greeting.helo)  # RFC 3207: what was learnt before TLS is forgotten

    async def _login(self, username: str, password: str) -> None:
        offered = self.extensions.get("AUTH", "").upper().split()
        if "PLAIN" in offered:
            await self._expect("AUTH", 235, "AUTH PLAIN " + _base64(f"\0{username}\0{password}"))
        elif "LOGIN" in offered:
            await self._expect("AUTH", 334, f"AUTH LOGIN {_base64(username)}")  # RFC 4954: the password?
            await self._expect("AUTH", 235, _base64(password))
        else:
            raise NotOfferedError("AUTH PLAIN or LOGIN")

    async def _expect(self, command: str, code: int, line: str | None = None) -> Reply:
        """`line` sent (if any), and the reply, which must bear `code`."""
        (reply,) = await self._exchange(line) if line is not None else [await self._reply()]
        if reply.code != code:
            raise RefusalError(command, reply)
        return reply

    async def _exchange(self, *lines: str) -> list[Reply]:
        """The command lines in one write, and their replies in order."""
        self._writer.write("".join(f"{line}\r\n" for line in lines).encode())
        return [await self._reply() for _ in lines]

    async def _reply(self) -> Reply:
        """One reply, its lines joined: `250-first`, `250-...`, `250 last` (RFC 5321 4.2.1)."""
        lines = []
        async with asyncio.timeout(self._timeout):
            await self._writer.drain()
            while True:
                line = await self._reader.readline()
                if not line.endswith(b"\n"):
                    raise DisconnectedError(before_content=False)
                code, separator, text = line[:3], line[3:4], line[4:].decode(errors="replace").strip()
                if not code.isdigit():
                    raise RefusalError("reply", Reply(0, "not an SMTP reply"))
                lines.append(text)
                if separator != b"-":
                    return Reply(int(code), "\n".join(lines))


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
