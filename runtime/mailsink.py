"""A small SMTP server (aiosmtpd) that keeps what it receives: the tests' mail server (in memory) and the
embedded default's mailbox (every message appended to one mbox file under a directory), in a thread of
the process that starts it or in a process of its own (`MailboxProcess`, `python -m runtime.mailsink`).
It can be told to answer 4xx, and to stand for a production relay: TLS (STARTTLS required, or implicit)
and AUTH with one login."""

from __future__ import annotations

import argparse
import asyncio
import functools
import hmac
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, BinaryIO

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from runtime.loop import new_loop
from runtime.processes import die_with_parent, start_listening, terminate
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


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_PLAIN_PATH = re.compile(rf"<(?P<address>{_DOT_ATOM}@{_DOT_ATOM})>[ \t]*(?P<rest>(?![ \t(]).*)")
"""MAIL FROM's or RCPT TO's argument in its plain form: `<local@domain>` of ASCII dot-atoms, then its
parameters (`SIZE=1026`) if any."""


class _Server(SMTP):
    """aiosmtpd's server, reading a plain path without a parser. aiosmtpd reads the address of each MAIL
    FROM and RCPT TO with the email package's RFC 5322 parser, and declares a class on every call: about
    110 µs an address on a slow host, two an e-mail, half of the mailbox's user CPU an e-mail
    (docs/benchmarks.md, section "2026-12-07 11:51"). Anything else (a quoted local part, a comment, an
    address beyond ASCII, a missing bracket) still goes to aiosmtpd's parser, and the plain form gives
    what that parser would give (`tests/runtime/test_mailbox.py`)."""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = _PLAIN_PATH.fullmatch(arg)
        if plain is None:
            return super()._getaddr(arg)
        address = plain["address"]
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, plain["rest"]


class _Controller(Controller):
    def factory(self) -> SMTP:
        """aiosmtpd's documented hook for the server a connection gets."""
        return _Server(self.handler, **self.SMTP_kwargs)


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """aiosmtpd's replies to EHLO, and PIPELINING (RFC 2920) where the sink offers it: aiosmtpd reads
        each command in turn from what has arrived, so that a pipelined envelope is served as it is."""
        session.host_name = hostname
        if self._sink.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self._sink.refuse:
            return self._sink.refuse
        await asyncio.sleep(self._sink.delay)
        peer = tuple(session.peer) if session.peer else None
        login = session.auth_data.login.decode() if session.authenticated else None
        tls = server.transport.get_extra_info("ssl_object") is not None  # STARTTLS or implicit
        self._sink.keep(Received(tuple(envelope.rcpt_tos), envelope.content, peer, login, tls))
        return "250 OK"


MBOX = "messages.mbox"
"""The file of a mailbox's directory that holds its messages, in the order received."""
_QUOTED = re.compile(rb"^(>*From )", re.MULTILINE)
_UNQUOTED = re.compile(rb"^>(>*From )", re.MULTILINE)
_FROM_LINE = re.compile(rb"^From [^\n]*\n", re.MULTILINE)


def mbox_entry(raw: bytes, received_at: float) -> bytes:
    """A message as an entry of an mbox file (the mboxrd form, which any mail reader opens): a `From `
    line, the message with each line that begins with `From ` behind any number of `>` given one `>`
    more (so that none can be taken for the next entry's), and an empty line. A message that does not end
    with a line break is given one."""
    quoted = _QUOTED.sub(rb">\1", raw)
    if not quoted.endswith(b"\n"):
        quoted += b"\n"
    stamp = time.asctime(time.gmtime(received_at)).encode()
    return b"From MAILER-DAEMON " + stamp + b"\n" + quoted + b"\n"


def kept_messages(directory: Path) -> list[bytes]:
    """The messages a mailbox kept in `directory`, in the order received, each as it was sent (none if
    it has received none)."""
    path = directory / MBOX
    if not path.exists():
        return []
    entries = _FROM_LINE.split(path.read_bytes())[1:]  # what precedes the first From line is nothing
    # Less the empty line that ends an entry; the last may lack it, cut short by a kill.
    return [_UNQUOTED.sub(rb"\1", entry[:-1] if entry.endswith(b"\n\n") else entry) for entry in entries]


def _open_for_appending(directory: Path) -> BinaryIO:
    """The mbox file, to append to; an entry that a killed mailbox left cut short is ended first, so
    that the next entry's From line begins a line of its own after an empty one."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    mbox = open(directory / MBOX, "ab", buffering=0)  # noqa: SIM115 (closed by stop)
    size = mbox.tell()
    if size:
        with open(directory / MBOX, "rb") as existing:
            existing.seek(max(0, size - 2))
            tail = existing.read()
        mbox.write(b"" if tail == b"\n\n" else b"\n" if tail.endswith(b"\n") else b"\n\n")
    return mbox


class MailSink:
    """Keeps each message it accepts: in `received` or, given a directory, appended to its mbox file
    (`MBOX`, after what an earlier run left), and then not in memory: a mailbox that runs for days would
    otherwise hold every message it was ever sent. One file for all the messages, not one a message: creating
    a file cost the mailbox 30-800 µs of CPU an e-mail on a file system with no journal, as on these
    machines, where ext4 skips one by one every inode deleted in the last minutes (docs/benchmarks.md,
    section "2026-12-07 22:08"); an append costs a single write."""

    def __init__(
        self,
        directory: Path | None = None,
        port: int | None = None,
        *,
        smtputf8: bool = True,
        pipelining: bool = True,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
        mechanisms_left_out: tuple[str, ...] = (),
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.smtputf8 = smtputf8  # offers SMTPUTF8 (RFC 6531): addresses beyond ASCII
        self.pipelining = pipelining  # offers PIPELINING (RFC 2920), as production relays do
        self.tls = tls  # STARTTLS, required before anything else; from the first byte if `implicit_tls`
        self.implicit_tls = implicit_tls
        self.credentials = credentials  # AUTH required, with this login and password (over TLS only)
        self.mechanisms_left_out = mechanisms_left_out  # AUTH mechanisms not offered, e.g. ("PLAIN",)
        self.refuse: str | None = None  # e.g. "451 4.3.0 try again later"
        self.delay = 0.0  # seconds before accepting each message
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._mbox: BinaryIO | None = None
        self._controller: _Controller | None = None

    def keep(self, received: Received) -> None:
        with self._lock:
            if self.directory is None:
                self.received.append(received)
                return
            if self._mbox is None:
                raise RuntimeError("the mailbox is not running: the message is not kept")
            self._mbox.write(mbox_entry(received.raw, time.time()))  # one write(2): unbuffered

    def start(self) -> MailSink:
        if self.directory is not None:
            self._mbox = _open_for_appending(self.directory)
        options: dict[str, Any] = {"enable_SMTPUTF8": self.smtputf8}
        if self.tls is not None:
            options |= {"ssl_context": self.tls} if self.implicit_tls else {"tls_context": self.tls}
            options["require_starttls"] = not self.implicit_tls
        if self.credentials is not None:
            options |= {"authenticator": self._authenticate, "auth_required": True}
            options["auth_require_tls"] = not self.implicit_tls  # implicit: the whole session is TLS
            options["auth_exclude_mechanism"] = self.mechanisms_left_out
        # On uvloop, as every process here (runtime.loop): aiosmtpd's own default, asyncio's loop, cost
        # 430-480 us of CPU an e-mail against 370-410 (docs/benchmarks.md, 2026-12-07).
        self._controller = _Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, loop=new_loop(), **options
        )
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
        with self._lock:
            if self._mbox is not None:
                self._mbox.close()
                self._mbox = None


class MailboxProcess:
    """A mailbox (a MailSink keeping its messages in an mbox file under `directory`) in a process of its
    own: what sends to it is measured without it (`python -m bench.delivery`), or runs without the whole
    system."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> MailboxProcess:
        """Started, once it listens; what goes wrong in it shows on this process's standard error."""
        self.process = start_listening(
            [sys.executable, "-m", "runtime.mailsink", str(self.directory), "--port", str(self.port)],
            self.port,
            timeout,
            stdout=subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
        )
        return self

    def stop(self) -> None:
        terminate(self.process, grace=10)
        self.process = None


def main(argv: list[str] | None = None) -> None:
    """`python -m runtime.mailsink DIRECTORY [--port N]`: a mailbox until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m runtime.mailsink", description=main.__doc__)
    parser.add_argument("directory", type=Path, help=f"where the messages are kept, in the mbox file {MBOX}")
    parser.add_argument("--port", type=int, default=None, help="on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stopping.set())
    sink = MailSink(args.directory, args.port).start()
    print(f"mailbox: SMTP 127.0.0.1:{sink.port}, messages in {args.directory}", flush=True)
    try:
        stopping.wait()
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
