"""The embedded default's mailbox: an SMTP server that appends each e-mail to one mbox file, after what an
earlier run left, and keeps nothing in memory; the system runs it in a process of its own, whose CPU the
benchmark counts."""

from __future__ import annotations

import mailbox
import os
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest
import uvloop
from aiosmtpd.smtp import SMTP
from hypothesis import example, given
from hypothesis import strategies as st

from bench.stats import cpu_seconds
from runtime.mailsink import MBOX, MailboxProcess, MailSink, Received, _Server, kept_messages, mbox_entry
from runtime.processes import terminate, wait_listening
from runtime.system import System
from runtime.tansu import free_port

MESSAGE = b"From: fse@example.mc\r\nTo: assure@example.mc\r\nSubject: essai\r\n\r\nBonjour\r\n"


def send(port: int, count: int = 1) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for _ in range(count):
            client.sendmail("fse@example.mc", ["assure@example.mc"], MESSAGE)


def test_the_mailbox_runs_in_its_own_process_and_keeps_its_messages_in_one_file(tmp_path: Path) -> None:
    process = MailboxProcess(tmp_path / "mail").start()
    try:
        assert process.process is not None
        assert process.process.pid != os.getpid()
        send(process.port, 2)
    finally:
        process.stop()
    assert [p.name for p in (tmp_path / "mail").iterdir()] == [MBOX]
    assert kept_messages(tmp_path / "mail") == [MESSAGE, MESSAGE]
    assert process.process is None  # stopped: SIGTERM, and it exited


def test_a_restarted_mailbox_appends_after_what_it_finds(tmp_path: Path) -> None:
    directory = tmp_path / "mail"
    directory.mkdir()
    (directory / MBOX).write_bytes(mbox_entry(b"Subject: an earlier run's\r\n\r\nx\r\n", 0.0))
    (directory / "notes.txt").write_text("not a message")
    sink = MailSink(directory).start()
    try:
        send(sink.port)
    finally:
        sink.stop()
    assert kept_messages(directory) == [b"Subject: an earlier run's\r\n\r\nx\r\n", MESSAGE]
    assert (directory / "notes.txt").read_text() == "not a message"
    assert sink.received == []  # kept on disk only: a mailbox that runs for days holds nothing in memory


@pytest.mark.parametrize("cut", [b"Subject: cut\r\n\r\nhalf a li", b"Subject: cut\r\n\r\na line\r\n"])
def test_a_message_cut_short_by_a_kill_does_not_swallow_the_next(tmp_path: Path, cut: bytes) -> None:
    directory = tmp_path / "mail"
    directory.mkdir()
    whole = mbox_entry(b"Subject: whole\r\n\r\nx\r\n", 0.0)
    (directory / MBOX).write_bytes(whole + b"From MAILER-DAEMON x\n" + cut)
    assert kept_messages(directory) == [b"Subject: whole\r\n\r\nx\r\n", cut]  # read as it was left
    sink = MailSink(directory).start()
    try:
        send(sink.port)
    finally:
        sink.stop()
    kept = kept_messages(directory)
    assert kept[0] == b"Subject: whole\r\n\r\nx\r\n"
    assert kept[1].startswith(cut)
    assert kept[2:] == [MESSAGE]


def test_a_message_comes_back_as_sent_and_any_mail_reader_reads_the_file(tmp_path: Path) -> None:
    """Lines that begin with `From ` (which would begin the next entry) are quoted in the file and read
    back unquoted, with those that were quoted already (mboxrd); the standard library's reader, as a
    mail client, finds each message whole."""
    tricky = (
        b"From: fse@example.mc\r\nSubject: tricky\r\n\r\nFrom here\r\n>From there\r\n>>From afar\r\n"
        b"\r\nFrom MAILER-DAEMON Mon Dec  7 22:20:41 2026\r\nend\r\n"
    )
    sink = MailSink(tmp_path).start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
            client.sendmail("fse@example.mc", ["assure@example.mc"], tricky)
            client.sendmail("fse@example.mc", ["assure@example.mc"], MESSAGE)
    finally:
        sink.stop()
    assert kept_messages(tmp_path) == [tricky, MESSAGE]
    assert b"\n>From here\r\n>>From there\r\n>>>From afar" in (tmp_path / MBOX).read_bytes()
    box = mailbox.mbox(tmp_path / MBOX, create=False)
    try:
        assert [message["Subject"] for message in box] == ["tricky", "essai"]
        assert box.get_bytes(box.keys()[1]) == MESSAGE
    finally:
        box.close()


def test_a_stopped_mailbox_refuses_to_keep_a_message_rather_than_hold_it_in_memory(tmp_path: Path) -> None:
    sink = MailSink(tmp_path).start()
    sink.stop()
    with pytest.raises(RuntimeError, match="not running"):
        sink.keep(Received(("assure@example.mc",), MESSAGE))
    assert sink.received == []
    assert kept_messages(tmp_path) == []


def test_a_mailbox_that_received_nothing_has_no_messages(tmp_path: Path) -> None:
    assert kept_messages(tmp_path / "nowhere") == []
    MailSink(tmp_path / "mail").start().stop()
    assert kept_messages(tmp_path / "mail") == []


def test_a_mailbox_without_a_directory_keeps_messages_in_memory() -> None:
    sink = MailSink().start()
    try:
        send(sink.port)
    finally:
        sink.stop()
    assert [r.message["Subject"] for r in sink.received] == ["essai"]


def test_waiting_for_a_port_stops_when_its_process_exits() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RuntimeError, match="exited with 3"):
        wait_listening(free_port(), gone, timeout=30)


def test_waiting_for_a_port_gives_up_after_its_timeout() -> None:
    # Alive and listening nowhere: it reads its standard input, which stays open until the end.
    with subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    ) as silent:
        try:
            with pytest.raises(RuntimeError, match="nothing listened"):
                wait_listening(free_port(), silent, timeout=0.5)
            assert silent.poll() is None  # still running: the timeout, not its exit, ended the wait
        finally:
            terminate(silent)


def test_the_system_runs_its_mailbox_in_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a thread of the system's process, where a benchmark's load and watcher run: they would share
    its GIL, and the e-mails' pace and the decisions seen would both pay for it."""
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("NOTIFICATIONS_SMTP_HOST", raising=False)
    system = System.on_free_ports(tmp_path)
    try:
        system.start_broker()
        broker, mailbox = system.broker, system.mailbox
        assert broker is not None
        assert broker.process is not None
        assert mailbox is not None
        assert mailbox.process is not None
        assert mailbox.process.pid != os.getpid()
        assert system.pids() == {"broker": broker.process.pid, "mail": mailbox.process.pid}
        assert system.environment("notifications")["NOTIFICATIONS_SMTP_PORT"] == str(mailbox.port)
        before = cpu_seconds(system.pids())["mail"]
        send(mailbox.port, 300)
        assert cpu_seconds(system.pids())["mail"] > before
        process = mailbox.process
    finally:
        system.stop()
    assert process.poll() is not None
    assert kept_messages(tmp_path / "mail") == [MESSAGE] * 300


def test_the_mailbox_serves_on_uvloop_as_every_process_here(tmp_path: Path) -> None:
    """aiosmtpd's own default is asyncio's loop, which cost the mailbox about a sixth more CPU an e-mail."""
    sink = MailSink(tmp_path / "mail").start()
    try:
        assert sink._controller is not None
        assert isinstance(sink._controller.loop, uvloop.Loop)
        send(sink.port)
    finally:
        sink.stop()
    assert kept_messages(tmp_path / "mail") == [MESSAGE]


ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
PATHS = st.one_of(
    st.text(alphabet=ATEXT + '.@<>()\\" \t=é\r\n', max_size=40),
    st.builds(
        "{}<{}@{}>{}{}".format,
        st.sampled_from(["", " ", "("]),
        st.text(alphabet=ATEXT + '."( ', min_size=0, max_size=12),
        st.text(alphabet=ATEXT + ".-[]é", min_size=0, max_size=12),
        st.sampled_from(["", " ", "  ", "\t", "(c) ", " (c)", "x"]),
        st.sampled_from(["", "SIZE=1026", "SMTPUTF8 SIZE=9", " BODY=8BITMIME", "\n"]),
    ),
)


def outcome(server: SMTP, arg: str) -> object:
    try:
        return server._getaddr(arg)
    except Exception as error:  # whatever aiosmtpd's parser raises, both must raise it
        return type(error)


@given(arg=PATHS, limit=st.sampled_from([0, 4, 64]))
@example(arg="<ne-pas-repondre@fse.caisses-sociales.mc> SIZE=1026", limit=0)
@example(arg="<a.b@c.mc>", limit=0)
@example(arg="<a..b@c.mc>", limit=0)
@example(arg="<.a@c.mc>", limit=0)
@example(arg="<abcdef@c.mc>", limit=4)
@example(arg="<a@b> (comment) SIZE=1", limit=0)
@example(arg="<a@b>\tSIZE=1", limit=0)
@example(arg="<a@b>SIZE=1", limit=0)
def test_the_mailbox_reads_every_path_as_aiosmtpd_does(arg: str, limit: int) -> None:
    ours, theirs = _Server.__new__(_Server), SMTP.__new__(SMTP)
    ours.local_part_limit = theirs.local_part_limit = limit
    assert outcome(ours, arg) == outcome(theirs, arg)


def test_the_mailbox_reads_a_plain_path_without_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def parser(self: SMTP, arg: str) -> tuple[str | None, str | None]:
        raise AssertionError(f"{arg!r} parsed by aiosmtpd")

    monkeypatch.setattr(SMTP, "_getaddr", parser)
    server = _Server.__new__(_Server)
    assert server._getaddr("<ne-pas-repondre@fse.mc> SIZE=1026") == ("ne-pas-repondre@fse.mc", "SIZE=1026")
    assert server._getaddr("<assure@example.mc>") == ("assure@example.mc", "")
    with pytest.raises(AssertionError, match="parsed by aiosmtpd"):
        server._getaddr('<"quoted local"@example.mc>')


def test_the_mailbox_serves_its_connections_with_its_own_server(tmp_path: Path) -> None:
    sink = MailSink().start()
    try:
        send(sink.port)
        assert sink._controller is not None
        assert isinstance(sink._controller.smtpd, _Server)
    finally:
        sink.stop()
    assert [r.recipients for r in sink.received] == [("assure@example.mc",)]
