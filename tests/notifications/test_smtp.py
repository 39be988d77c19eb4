"""The SMTP client against a real SMTP server (aiosmtpd): a delivery pass sends its e-mails over one
connection, which the next pass reuses until it has been idle too long, opened again when the server
closed it, and still usable after a refused e-mail; a relay as production has one (TLS under a private
CA, AUTH) receives over TLS, and only when its certificate checks out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from runtime.mailsink import MailSink
from services.notifications.adapters.smtp import Email, Mailer, SendError, compose
from services.notifications.settings import Settings
from tests.notifications.certificates import Relay, relay_certificates


def email(n: int) -> Email:
    return Email(f"assure{n}@example.org", f"Avis {n}", "Bonjour,\n", f"<{n}@tests>", datetime.now(UTC))


def mailer(data_dir: Path, sink: MailSink, **settings: object) -> Mailer:
    values = {"data_dir": data_dir, "smtp_port": sink.port, "smtp_helo_name": "tests"}
    return Mailer(Settings.model_validate(values | settings))


@contextlib.asynccontextmanager
async def tapped(sink: MailSink) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A TCP relay in front of `sink`: its port, and each piece of what clients sent, as it arrived."""
    pieces: list[bytes] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, keep: bool) -> None:
        while chunk := await reader.read(65536):
            if keep:
                pieces.append(chunk)
            writer.write(chunk)
            await writer.drain()
        writer.close()

    async def serve(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", sink.port)
        await asyncio.gather(
            pipe(client_reader, server_writer, keep=True), pipe(server_reader, client_writer, keep=False)
        )

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], pieces


async def test_a_pass_sends_its_emails_over_one_connection(data_dir: Path, mail_sink: MailSink) -> None:
    async with mailer(data_dir, mail_sink).connection() as connection:
        for n in range(3):
            await connection.send(email(n))

    assert [r.message_id for r in mail_sink.received] == ["<0@tests>", "<1@tests>", "<2@tests>"]
    assert len({r.peer for r in mail_sink.received}) == 1


async def test_the_next_pass_reuses_the_connection_until_it_has_been_idle_too_long(
    data_dir: Path, mail_sink: MailSink
) -> None:
    sending = mailer(data_dir, mail_sink, smtp_keep_seconds=60)
    for n in range(2):
        async with sending.connection() as connection:
            await connection.send(email(n))
    await sending.close_idle()  # idle a moment, not a minute: kept
    async with sending.connection() as connection:
        await connection.send(email(2))
    sending = mailer(data_dir, mail_sink, smtp_keep_seconds=0)
    async with sending.connection() as connection:
        await connection.send(email(3))
    await sending.close_idle()  # idle for longer than 0 s: closed
    async with sending.connection() as connection:
        await connection.send(email(4))
    await sending.close()

    peers = [r.peer for r in mail_sink.received]
    assert [r.message_id for r in mail_sink.received] == [f"<{n}@tests>" for n in range(5)]
    assert peers[0] == peers[1] == peers[2]
    assert len({peers[2], peers[3], peers[4]}) == 3


async def test_a_pass_interrupted_closes_its_connection_rather_than_keep_it(
    data_dir: Path, mail_sink: MailSink
) -> None:
    sending = mailer(data_dir, mail_sink)
    with pytest.raises(RuntimeError):
        async with sending.connection() as connection:
            await connection.send(email(0))
            raise RuntimeError("the pass failed between two e-mails")
    async with sending.connection() as connection:
        await connection.send(email(1))
    await sending.close()

    assert [r.message_id for r in mail_sink.received] == ["<0@tests>", "<1@tests>"]
    assert mail_sink.received[0].peer != mail_sink.received[1].peer


@pytest.mark.parametrize("offered", [True, False], ids=["pipelining", "command-by-command"])
async def test_the_envelope_goes_in_one_piece_where_the_server_offers_pipelining(
    data_dir: Path, offered: bool
) -> None:
    sink = MailSink(pipelining=offered).start()
    try:
        async with tapped(sink) as (port, pieces):
            sending = mailer(data_dir, sink, smtp_port=port)
            async with sending.connection() as connection:
                await connection.send(email(1))
                await connection.send(email(2))
            await sending.close()  # the connection, kept for a next pass, is closed with QUIT
    finally:
        sink.stop()

    envelope = [
        b"MAIL FROM:<ne-pas-repondre@fse.caisses-sociales.mc> SIZE=",
        b"RCPT TO:<assure2@",
        b"DATA\r\n",
    ]
    carrying = [[n for n, piece in enumerate(pieces) if part in piece] for part in envelope]
    assert [r.message_id for r in sink.received] == ["<1@tests>", "<2@tests>"]
    if offered:  # MAIL, RCPT and DATA of each e-mail in one piece, then the message
        assert carrying[0][-1] == carrying[1][0] == carrying[2][-1]
    else:  # each waits for the reply to the one before
        assert carrying[0][-1] < carrying[1][0] < carrying[2][-1]
    assert b"QUIT\r\n" in pieces[-1]


async def test_a_server_that_does_not_answer_in_time_is_a_timeout_and_the_next_email_opens_another(
    data_dir: Path, mail_sink: MailSink
) -> None:
    async with mailer(data_dir, mail_sink, smtp_timeout_seconds=0.2).connection() as connection:
        await connection.send(email(0))
        mail_sink.delay = 1.0  # past the client's timeout, before accepting the message
        with pytest.raises(SendError, match=r"^TimeoutError$"):
            await connection.send(email(1))
        mail_sink.delay = 0.0
        await connection.send(email(2))

    peers = {r.message_id: r.peer for r in mail_sink.received}
    assert peers["<0@tests>"] != peers["<2@tests>"]


async def test_a_connection_the_server_closed_is_opened_again(data_dir: Path, mail_sink: MailSink) -> None:
    async with mailer(data_dir, mail_sink).connection() as connection:
        await connection.send(email(1))
        mail_sink.stop()  # the server goes away between two e-mails, and comes back
        mail_sink.start()
        await connection.send(email(2))

    assert [r.message_id for r in mail_sink.received] == ["<1@tests>", "<2@tests>"]
    assert len({r.peer for r in mail_sink.received}) == 2


async def test_after_a_refused_email_the_next_one_goes_over_the_same_connection(
    data_dir: Path, mail_sink: MailSink
) -> None:
    async with mailer(data_dir, mail_sink).connection() as connection:
        mail_sink.refuse = "550 5.7.1 refused"
        with pytest.raises(SendError, match="SMTP 550"):
            await connection.send(email(1))
        mail_sink.refuse = None
        await connection.send(email(2))
        await connection.send(email(3))

    assert [r.message_id for r in mail_sink.received] == ["<2@tests>", "<3@tests>"]
    assert len({r.peer for r in mail_sink.received}) == 1


async def test_an_unreachable_server_is_a_send_error_naming_the_cause(data_dir: Path) -> None:
    gone = MailSink()  # never started: nothing listens on its port
    async with mailer(data_dir, gone).connection() as connection:
        with pytest.raises(SendError, match="ConnectionRefusedError"):
            await connection.send(email(1))


async def test_an_email_arrives_as_written_accents_and_all(data_dir: Path, mail_sink: MailSink) -> None:
    subject = (
        "Votre feuille de soins FSE-20261203-ABCDEFGHJK a été rejetée : droits fermés à la date des soins"
    )
    body = "Bonjour,\n\nVotre feuille de soins a été rejetée.\n.\nUne ligne longue " + "é" * 120 + "\n"
    sent = Email(
        "assure@example.org", subject, body, "<accents@tests>", datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    )
    async with mailer(data_dir, mail_sink).connection() as connection:
        await connection.send(sent)

    (received,) = mail_sink.received
    message = received.message
    assert str(message["Subject"]) == subject
    # The lone dot and the long line survive the SMTP dialogue (which ends every line with CRLF).
    assert message.get_content().replace("\r\n", "\n") == body
    assert message["To"] == "assure@example.org"
    assert message["Message-ID"] == "<accents@tests>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "fr"
    assert message["Date"].datetime == sent.date
    # RFC 5322's 78 characters a line, the subject folded into encoded words and the body into soft breaks
    assert max(map(len, received.raw.split(b"\r\n"))) <= 78


async def test_an_address_beyond_ascii_goes_over_smtputf8(data_dir: Path, mail_sink: MailSink) -> None:
    sent = Email("josé@exämple.mc", "Avis", "Bonjour,\n", "<utf8@tests>", datetime.now(UTC))
    async with mailer(data_dir, mail_sink).connection() as connection:
        await connection.send(sent)

    (received,) = mail_sink.received
    assert received.recipients == ("josé@exämple.mc",)
    assert received.message["To"] == "josé@exämple.mc"


async def test_a_server_without_smtputf8_refuses_such_an_address_by_name_and_serves_the_next(
    data_dir: Path,
) -> None:
    beyond = Email("josé@exämple.mc", "Avis", "Bonjour,\n", "<1@tests>", datetime.now(UTC))
    sink = MailSink(smtputf8=False).start()
    try:
        async with mailer(data_dir, sink).connection() as connection:
            with pytest.raises(SendError, match="SMTPUTF8"):
                await connection.send(beyond)
            await connection.send(email(2))
    finally:
        sink.stop()

    assert [r.message_id for r in sink.received] == ["<2@tests>"]


def test_a_body_line_ends_as_crlf_whatever_it_was_written_with() -> None:
    body = "un\r\ndeux\rtrois\nquatre"
    values = {"to": "assure@example.org", "subject": "Avis", "message_id": "<1@tests>"}
    raw = compose("fse@example.org", Email(body=body, date=datetime.now(UTC), **values))

    assert raw.split(b"\r\n\r\n", 1)[1] == b"un\r\ndeux\r\ntrois\r\nquatre"
    assert b"\r" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize("field", ["to", "subject", "message_id"])
def test_a_header_with_a_line_break_is_refused(field: str) -> None:
    values = {"to": "assure@example.org", "subject": "Avis", "message_id": "<1@tests>"}
    values[field] += "\r\nBcc: someone@example.org"
    with pytest.raises(SendError, match="line break"):
        compose("fse@example.org", Email(body="Bonjour,\n", date=datetime.now(UTC), **values))


LOGIN, PASSWORD = "fse-notifications", "mot-de-passe-é€"


def relay_settings(
    data_dir: Path, sink: MailSink, ca_file: Path | None, tls: str = "smtp_starttls"
) -> Settings:
    """The client's settings for `sink`: TLS as `tls` says (smtp_starttls or smtp_implicit_tls), a login."""
    values = {
        "data_dir": data_dir,
        "smtp_port": sink.port,
        "smtp_helo_name": "tests",
        "smtp_ca_file": ca_file,
    }
    return Settings.model_validate({**values, tls: True, "smtp_username": LOGIN, "smtp_password": PASSWORD})


async def send_through(sink: MailSink, settings: Settings, *emails: Email) -> list[str | None]:
    """The e-mails over one connection to the started `sink`, stopped after: for each, None if it was
    accepted, else the SendError's text."""
    outcomes: list[str | None] = []
    try:
        async with Mailer(settings).connection() as connection:
            for sent in emails:
                try:
                    await connection.send(sent)
                    outcomes.append(None)
                except SendError as error:
                    outcomes.append(str(error))
    finally:
        sink.stop()
    return outcomes


@pytest.fixture
def relay(tmp_path: Path) -> Relay:
    return relay_certificates(tmp_path / "tls")


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
async def test_a_relay_with_tls_and_auth_receives_over_tls_with_a_password_beyond_ascii(
    data_dir: Path, relay: Relay, implicit: bool
) -> None:
    sink = MailSink(tls=relay.context, implicit_tls=implicit, credentials=(LOGIN, PASSWORD)).start()
    settings = relay_settings(
        data_dir, sink, relay.ca_file, "smtp_implicit_tls" if implicit else "smtp_starttls"
    )

    assert await send_through(sink, settings, email(1), email(2)) == [None, None]
    assert [r.message_id for r in sink.received] == ["<1@tests>", "<2@tests>"]
    assert all(r.over_tls and r.login == LOGIN for r in sink.received)
    assert len({r.peer for r in sink.received}) == 1


async def test_a_relay_offering_login_alone_is_logged_in_with_it_in_utf8(
    data_dir: Path, relay: Relay
) -> None:
    sink = MailSink(tls=relay.context, credentials=(LOGIN, PASSWORD), mechanisms_left_out=("PLAIN",)).start()
    settings = relay_settings(data_dir, sink, relay.ca_file)

    assert await send_through(sink, settings, email(1)) == [None]
    assert [(r.message_id, r.login) for r in sink.received] == [("<1@tests>", LOGIN)]


async def test_a_relay_offering_no_mechanism_we_speak_gets_nothing(data_dir: Path, relay: Relay) -> None:
    sink = MailSink(tls=relay.context, credentials=(LOGIN, PASSWORD), mechanisms_left_out=("PLAIN", "LOGIN"))
    settings = relay_settings(data_dir, sink.start(), relay.ca_file)

    assert await send_through(sink, settings, email(1)) == [
        "SMTP: AUTH PLAIN or LOGIN not offered by the server"
    ]
    assert sink.received == []


async def test_a_wrong_password_is_refused_by_code(data_dir: Path, relay: Relay) -> None:
    sink = MailSink(tls=relay.context, credentials=(LOGIN, "another")).start()
    settings = relay_settings(data_dir, sink, relay.ca_file)

    assert await send_through(sink, settings, email(1)) == ["SMTP 535"]
    assert sink.received == []


async def test_a_relay_whose_certificate_no_trusted_ca_signed_gets_nothing(
    data_dir: Path, relay: Relay
) -> None:
    sink = MailSink(tls=relay.context, credentials=(LOGIN, PASSWORD)).start()
    settings = relay_settings(data_dir, sink, None)  # the system's CAs: not the relay's

    assert await send_through(sink, settings, email(1)) == ["SSLCertVerificationError"]
    assert sink.received == []


def test_credentials_without_tls_are_refused_at_start(data_dir: Path) -> None:
    with pytest.raises(ValidationError, match="smtp_username, smtp_password: sent only over TLS"):
        Settings(data_dir=data_dir, smtp_username=LOGIN, smtp_password=PASSWORD)


@pytest.mark.parametrize(
    ("username", "password"),
    [(LOGIN, None), (LOGIN, ""), (None, PASSWORD), ("", PASSWORD)],
    ids=["no password", "empty password", "no login", "empty login"],
)
def test_a_login_without_its_password_is_refused_at_start(
    data_dir: Path, username: str | None, password: str | None
) -> None:
    """Empty as missing: a secret's key present but empty would otherwise send without logging in."""
    with pytest.raises(ValidationError, match="smtp_username, smtp_password: both or neither"):
        Settings(data_dir=data_dir, smtp_starttls=True, smtp_username=username, smtp_password=password)


def test_a_ca_file_that_is_not_there_is_refused_at_start(data_dir: Path) -> None:
    with pytest.raises(ValidationError, match=r"smtp_ca_file\n  Path does not point to a file"):
        Settings(data_dir=data_dir, smtp_starttls=True, smtp_ca_file=data_dir / "no-such-ca.pem")


async def test_an_unforeseen_failure_is_a_send_error_by_its_class_and_the_next_email_goes(
    data_dir: Path, mail_sink: MailSink
) -> None:
    unencodable = Email("assure@example.org", "Avis", "Bonjour \ud800,\n", "<2@tests>", datetime.now(UTC))
    async with mailer(data_dir, mail_sink).connection() as connection:
        await connection.send(email(1))
        with pytest.raises(SendError, match=r"^unexpected UnicodeEncodeError$"):
            await connection.send(unencodable)
        await connection.send(email(3))

    assert [r.message_id for r in mail_sink.received] == ["<1@tests>", "<3@tests>"]
