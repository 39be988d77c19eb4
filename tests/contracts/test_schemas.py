"""Every event version is held against its frozen JSON Schema."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from contracts.envelope import Envelope, Payload
from contracts.registry import UnknownEventError, all_models, model_for, parse
from contracts.schema import SCHEMA_DIR, incompatibilities, render, schema_of, schema_path

# The contracts package's own models: payloads that other tests declare for themselves (test_messaging's
# TestNoted, say) join the registry once imported, and have no frozen schema.
MODELS = sorted(
    (m for m in all_models().values() if m.__module__.startswith("contracts.")),
    key=lambda m: (m.event_type, m.schema_version),
)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.event_type}.v{m.schema_version}")
def test_model_matches_its_frozen_schema(model: type[Payload]) -> None:
    path = schema_path(model)
    assert path.exists(), f"{path.name} missing: run python -m contracts.schema"
    assert render(schema_of(model)) == path.read_text(), f"{model.__name__} drifted from {path.name}"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.event_type}.v{m.schema_version}")
def test_released_version_stays_readable_by_existing_consumers(model: type[Payload]) -> None:
    assert incompatibilities(json.loads(schema_path(model).read_text()), schema_of(model)) == []


def test_every_frozen_schema_has_a_model() -> None:
    frozen = {p.name for p in SCHEMA_DIR.glob("*.v*.json")}
    assert frozen == {schema_path(m).name for m in MODELS}


def test_envelope_matches_its_frozen_schema() -> None:
    assert render(schema_of(Envelope)) == (SCHEMA_DIR / "Envelope.json").read_text()


def test_the_compatibility_rule_catches_what_breaks_a_reader() -> None:
    old = json.loads(schema_path(model_for("ClaimRejected", 1)).read_text())

    added_optional = copy.deepcopy(old)
    added_optional["properties"]["note"] = {"type": "string"}
    assert incompatibilities(old, added_optional) == []

    removed = copy.deepcopy(old)
    del removed["properties"]["reason"]
    assert incompatibilities(old, removed) == ["reason: removed"]

    retyped = copy.deepcopy(old)
    retyped["properties"]["reason"] = {"type": "integer"}
    assert incompatibilities(old, retyped)[0].startswith("reason: changed")

    required = copy.deepcopy(old)
    required["properties"]["note"] = {"type": "string"}
    required["required"].append("note")
    assert incompatibilities(old, required) == ["note: newly required"]

    narrowed = copy.deepcopy(old)
    narrowed["$defs"]["Fund"]["enum"] = ["CCSS"]
    assert any(p.startswith("$defs.Fund") for p in incompatibilities(old, narrowed))


def test_an_envelope_of_an_unknown_or_newer_version_is_refused() -> None:
    model = model_for("ClaimCancelled", 1)
    envelope = Envelope(
        type="ClaimCancelled", source="t", subject="s", schema_version=2, correlation_id=uuid.uuid4(), data={}
    )
    with pytest.raises(UnknownEventError, match="schema_version"):
        parse(envelope, model)
    with pytest.raises(UnknownEventError):
        model_for("NoSuchEvent", 1)
