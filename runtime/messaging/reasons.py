"""What a dead letter says of its error (`dlt-exception-message`): the field and the reason, never the
sender's text, which may be medical (the record itself is the dead letter's value, for whoever may read
it). Validation errors name each field with pydantic's reason, except where that reason or the field's
name would quote the input; the kit's own errors are written that way; any other error (a handler's
bug, a constraint of the database) is named by its class and the line of the project that raised it."""

from __future__ import annotations

import traceback
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from contracts.registry import UnknownEventError

LIMIT = 2000
PROJECT = Path(__file__).resolve().parents[2]
QUOTING = frozenset({"uuid_parsing"})
"""Pydantic error types whose message quotes part of the input after its first colon (as does any
error that carries a `reason`, an e-mail address's): only what comes before it is given."""


class DescribedError(Exception):
    """An error whose message names the field and the reason and quotes no input."""


class UnreadableError(DescribedError, ValueError):
    """A record that holds no message at all."""


def describe_error(error: BaseException, within: str = "") -> str:
    """The dead letter's message for `error`; `within` prefixes the fields of a validation error (the
    payload's are relative to the envelope's `data`)."""
    if isinstance(error, ValidationError):
        return "; ".join(dict.fromkeys(_field_and_reason(e, within) for e in error.errors()))[:LIMIT]
    if isinstance(error, DescribedError | UnknownEventError):
        return str(error)[:LIMIT]
    return f"{type(error).__name__} at {raised_at(error)} (its text is left out: it may quote the input)"


def raised_at(error: BaseException) -> str:
    """The innermost line of the project's own code that the error went through, as path:line."""
    where = "an unknown place"
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(PROJECT) and ".venv" not in path.parts:
            where = f"{path.relative_to(PROJECT)}:{frame.lineno}"
    return where


def _field_and_reason(error: ErrorDetails, within: str) -> str:
    location = [within, *map(str, error["loc"])] if within else [str(p) for p in error["loc"]]
    if error["type"] == "extra_forbidden":  # the unexpected key is the sender's text: its parent is named
        location = location[:-1]
    reason = error["msg"]
    if error["type"] in QUOTING or "reason" in error.get("ctx", {}):
        reason = reason.split(":", 1)[0]
    return f"{'.'.join(location) or 'body'}: {reason}"
