"""What `python -m bench.fuzz` counts on the dead-letter topics: each bad message once per group that
must refuse it, with its origin and error named; nothing from a group that should have skipped it; and
the valid traffic through to its last step, the rejections' e-mails."""

from __future__ import annotations

from collections import Counter

from aiokafka.structs import ConsumerRecord

from bench.fuzz import Bad, Stage, Verdict, check_letters, draw, refused_by
from bench.load import Run

GARBAGE = Bad("fse.tariff", b"k1", b"\xff", frozenset({"claims", "notifications"}))
PRICED = Bad("fse.tariff", b"k2", b"{}", frozenset({"claims"}))


def letter(
    message: Bad, group: str, error: str = "body: Invalid JSON", value: bytes | None = None
) -> ConsumerRecord[bytes, bytes]:
    headers: list[tuple[str, bytes]] = [
        ("dlt-original-topic", message.topic.encode()),
        ("dlt-original-partition", b"0"),
        ("dlt-original-offset", b"7"),
        ("dlt-consumer-group", group.encode()),
        ("dlt-exception-class", b"ValidationError"),
        ("dlt-exception-message", error.encode()),
    ]
    body = message.value if value is None else value
    return ConsumerRecord(f"{message.topic}.dlt", 0, 0, 0, 0, message.key, body, None, 2, 1, headers)


def test_every_refusal_found_passes() -> None:
    letters = check_letters(
        [GARBAGE, PRICED],
        [letter(GARBAGE, "claims"), letter(GARBAGE, "notifications"), letter(PRICED, "claims")],
    )
    assert (letters.expected, letters.found, letters.letters) == (3, 3, 3)
    assert letters.passed
    assert letters.examples == {"body": "fse.tariff [claims] body: Invalid JSON"}


def test_a_missing_refusal_an_unexpected_one_and_a_repeat_are_counted() -> None:
    records = [letter(GARBAGE, "claims"), letter(PRICED, "claims"), letter(PRICED, "claims")]
    records.append(letter(PRICED, "notifications"))  # should have skipped a known type it does not handle
    letters = check_letters([GARBAGE, PRICED], records)
    assert (letters.found, letters.missing, letters.unexpected, letters.repeated) == (2, 1, 1, 1)
    assert not letters.passed


def test_a_message_dead_lettered_twice_by_one_group_fails() -> None:
    letters = check_letters([PRICED], [letter(PRICED, "claims"), letter(PRICED, "claims")])
    assert (letters.found, letters.missing, letters.repeated) == (1, 0, 1)
    assert not letters.passed


def test_a_letter_without_its_error_or_with_other_bytes_is_counted_as_malformed() -> None:
    silent = letter(GARBAGE, "claims", error="")
    changed = letter(GARBAGE, "notifications", value=b"something else")
    letters = check_letters([GARBAGE], [silent, changed])
    assert letters.malformed == 2
    assert not letters.passed


def test_others_dead_letters_are_ignored() -> None:
    stranger = Bad("fse.tariff", b"other", b"x", frozenset({"claims"}))
    letters = check_letters([PRICED], [letter(PRICED, "claims"), letter(stranger, "claims")])
    assert (letters.letters, letters.found) == (1, 1)
    assert letters.passed


def test_one_seed_draws_the_same_messages() -> None:
    topics = {
        "fse.tariff": {"claims": frozenset({"ClaimPriced"}), "notifications": frozenset({"ClaimRejected"})}
    }
    first, second = draw(topics, 30, 5), draw(topics, 30, 5)
    assert [m.value for m in first] == [m.value for m in second]
    assert len({m.value for m in first}) > 20
    assert all(m.groups for m in first)


def test_a_message_is_refused_by_every_reader_unless_it_is_an_envelope_of_a_known_type() -> None:
    groups = {"claims": frozenset({"ClaimPriced"}), "notifications": frozenset({"ClaimRejected"})}
    assert refused_by(groups, b"\xff not json") == {"claims", "notifications"}
    assert refused_by(groups, b'{"type": "ClaimPriced"}') == {"claims", "notifications"}  # no envelope
    shell = (
        b'{"id": "00000000-0000-7000-8000-000000000001", "type": "%s", "source": "fuzz", "subject": "s",'
        b' "schema_version": 1, "correlation_id": "00000000-0000-4000-8000-000000000002", "data": {}}'
    )
    assert refused_by(groups, shell % b"ClaimPriced") == {"claims"}
    assert refused_by(groups, shell % b"NoSuchEvent") == {"claims", "notifications"}


def phase(notified: int, *, complete: bool = True) -> Stage:
    """A phase of 10 valid claims, all decided, 2 of them rejections, `notified` of those seen e-mailed."""
    run = Run("kafka", 10, sent=10, rejected=2, notices=[0.1] * notified)
    run.notified_complete = complete
    return Stage("alone", run, "", "")


def test_valid_rejections_not_all_seen_e_mailed_fail_the_verdict() -> None:
    assert Verdict(Counter(), phases=[phase(2), phase(2)]).valid_decided
    assert not Verdict(Counter(), phases=[phase(2), phase(1, complete=False)]).valid_decided
    assert not Verdict(Counter(), phases=[phase(1)]).valid_decided
