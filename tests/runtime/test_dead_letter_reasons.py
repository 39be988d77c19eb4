"""What a dead letter says of its error: the field and the reason, never the sender's text."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.registry import UnknownEventError
from runtime.messaging.consumer import MessageRejectedError, describe_error


class Act(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    amount: int


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    acts: list[Act]


def refusal(value: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Claim.model_validate(value)
    return caught.value


def test_a_validation_error_names_each_field_and_its_reason() -> None:
    error = refusal({"acts": [{"code": "C", "amount": "diabète"}, {"code": 3}]})
    assert describe_error(error) == (
        "acts.0.amount: Input should be a valid integer, unable to parse string as an integer; "
        "acts.1.code: Input should be a valid string; acts.1.amount: Field required"
    )


def test_an_unexpected_key_is_not_echoed_its_parent_is_named_once() -> None:
    error = refusal({"acts": [{"code": "C", "amount": 1, "diagnostic: diabète": 1, "other": 2}], "x": 0})
    described = describe_error(error)
    assert described == "acts.0: Extra inputs are not permitted; body: Extra inputs are not permitted"
    assert "diab" not in described


def test_invalid_json_and_the_kit_s_own_refusals() -> None:
    with pytest.raises(ValidationError) as caught:
        Claim.model_validate_json(b'{"acts": [')
    assert describe_error(caught.value).startswith("body: Invalid JSON")
    assert describe_error(MessageRejectedError("acts.0.code: UNKNOWN_ACT")) == "acts.0.code: UNKNOWN_ACT"
    assert describe_error(UnknownEventError("type: names no known event type")).startswith("type: ")
    assert describe_error(ValueError("body: empty message")) == "ValueError: body: empty message"
