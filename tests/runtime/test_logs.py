"""The one logging setup: a record is one line, and what must never reach a log is redacted."""

from __future__ import annotations

import logging
import sys

from runtime.logs import SafeFormatter, sanitize


def test_a_record_with_line_breaks_stays_one_line() -> None:
    forged = "claim received\n2026-12-05T10:00:00Z claims INFO forged record"
    assert sanitize(forged) == "claim received\\n2026-12-05T10:00:00Z claims INFO forged record"


def test_secrets_are_redacted() -> None:
    text = sanitize("Authorization: Bearer eyJhbGciOi.x.y password=hunter2 code_fse: A1B2C3")
    for secret in ("eyJhbGciOi", "hunter2", "A1B2C3"):
        assert secret not in text
    assert text.count("[redacted]") == 3


def test_the_values_a_postgresql_error_quotes_are_redacted() -> None:
    unique = (
        'duplicate key value violates unique constraint "uq_claims_submission"\n'
        "DETAIL:  Key (practitioner_id, submission_id)=(prt-1, cabinet-42) already exists.\n"
        "[SQL: INSERT INTO claims ...]"
    )
    text = sanitize(unique)
    assert "cabinet-42" not in text
    assert 'violates unique constraint "uq_claims_submission"\\nDETAIL:  [redacted]\\n[SQL: INSERT' in text
    not_null = (
        'null value in column "x" violates not-null constraint\nDETAIL:  Failing row contains (3, diabetes).'
    )
    assert "diabetes" not in sanitize(not_null)


def test_the_formatter_redacts_the_exception_it_appends() -> None:
    try:
        raise ValueError("insert failed\nDETAIL:  Key (matricule)=(100001) already exists.")
    except ValueError:
        record = logging.LogRecord(
            "claims", logging.ERROR, __file__, 1, "batch handed back", None, sys.exc_info()
        )
    text = SafeFormatter("%(message)s").format(record)
    assert text.startswith("batch handed back\\nTraceback")
    assert "ValueError: insert failed" in text
    assert "100001" not in text
