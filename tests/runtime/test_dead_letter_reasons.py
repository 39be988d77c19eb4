"""What a dead letter says of its error: the field and the reason, never the sender's text."""

from __future__ import annotations

import uuid

import pytest
from pydantic import BaseModel, ConfigDict, EmailStr, ValidationError

from contracts.registry import UnknownEventError
from runtime.messaging.consumer import MessageRejectedError
from runtime.messaging.reasons import UnreadableError, describe_error


class Act(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    amount: int


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    acts: list[Act]


class Contact(BaseModel):
    id: uuid.UUID
    email: EmailStr


def refusal(model: type[BaseModel], value: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(value)
    return caught.value


def test_a_validation_error_names_each_field_and_its_reason() -> None:
    error = refusal(Claim, {"acts": [{"code": "C", "amount": "diabète"}, {"code": 3}]})
    assert describe_error(error) == (
        "acts.0.amount: Input should be a valid integer, unable to parse string as an integer; "
        "acts.1.code: Input should be a valid string; acts.1.amount: Field required"
    )
    assert describe_error(error, within="data").startswith("data.acts.0.amount: Input should be")


def test_an_unexpected_key_is_not_echoed_its_parent_is_named_once() -> None:
    error = refusal(
        Claim, {"acts": [{"code": "C", "amount": 1, "diagnostic: diabète": 1, "other": 2}], "x": 0}
    )
    described = describe_error(error)
    assert described == "acts.0: Extra inputs are not permitted; body: Extra inputs are not permitted"
    assert "diab" not in described
    assert describe_error(error, within="data").endswith("; data: Extra inputs are not permitted")


def test_a_reason_that_would_quote_the_input_is_cut_before_the_quote() -> None:
    described = describe_error(refusal(Contact, {"id": "zq-not-a-uuid", "email": "patient;diabete@"}))
    assert described == (
        "id: Input should be a valid UUID, invalid character; email: value is not a valid email address"
    )


def test_an_error_of_no_known_kind_is_named_by_its_class_and_the_line_that_raised_it() -> None:
    def handler(data: dict[str, str]) -> str:
        return data["diagnosis: diabète"]

    with pytest.raises(KeyError) as caught:
        handler({})
    described = describe_error(caught.value)
    assert described.startswith("KeyError at tests/runtime/test_dead_letter_reasons.py:")
    assert "diab" not in described


def test_the_kit_s_own_errors_are_given_as_written() -> None:
    with pytest.raises(ValidationError) as caught:
        Claim.model_validate_json(b'{"acts": [')
    assert describe_error(caught.value).startswith("body: Invalid JSON")
    assert describe_error(MessageRejectedError("acts.0.code: UNKNOWN_ACT")) == "acts.0.code: UNKNOWN_ACT"
    assert describe_error(UnknownEventError("schema_version: v9 is newer than v1")).startswith("schema_")
    assert describe_error(UnreadableError("body: empty message")) == "body: empty message"
