"""`python -m bench.delivery`: the consumer records a notice for every rejection, and the delivery task
sends each e-mail once to a real SMTP server in a child process and records it (it refuses to print
figures otherwise), with a figure for each step."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.delivery import one_run
from bench.inprocess import report


async def test_every_email_is_received_once_and_each_step_has_its_figures(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Many passes of the worker (50 a pass), and enough e-mails for the mailbox's CPU to show in its
    # process's clock ticks (10 ms each): about 0.1 ms an e-mail.
    figures = await one_run(emails=1000, directory=tmp_path / "run", batch=25, keys=data_dir)

    assert list(figures) == ["ClaimRejected", "compose only", "delivery", "mailbox"]
    assert figures["mailbox"].cpu > 0  # the server's side, read from its own process
    assert figures["mailbox"].written is None
    assert figures["delivery"].cpu > figures["compose only"].cpu > 0  # sending composes, and more
    assert figures["compose only"].written == 0
    written = figures["delivery"].written
    assert written is not None
    assert written >= 4096  # at least a page of WAL an e-mail: each one is recorded as it is sent
    recorded = figures["ClaimRejected"].written
    assert recorded is not None
    assert recorded >= 4096 / 25  # at least a page of WAL a batch
    report([figures], "an e-mail")
    printed = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [line[0] for line in printed] == ["ClaimRejected", "compose", "delivery", "mailbox"]
    assert printed[3][3] == "n/a"  # its writes are not this process's
