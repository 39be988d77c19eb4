"""Every payload model by (event type, schema version), and the one place where old versions are upcast."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import contracts
from contracts.envelope import Envelope, Payload

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

#: (event type, version) -> function turning that version's data into the next version's data.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UnknownEventError(ValueError):
    """No payload model is registered for an envelope's type and schema version."""


def _load_modules() -> None:
    for module in pkgutil.iter_modules(contracts.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"contracts.{module.name}")


def _subclasses(cls: type[Payload]) -> Iterator[type[Payload]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def all_models() -> dict[tuple[str, int], type[Payload]]:
    _load_modules()
    return {(m.event_type, m.schema_version): m for m in _subclasses(Payload) if "event_type" in m.__dict__}


_MODELS: dict[tuple[str, int], type[Payload]] | None = None


def model_for(event_type: str, version: int) -> type[Payload]:
    global _MODELS
    if _MODELS is None:
        _MODELS = all_models()
    try:
        return _MODELS[(event_type, version)]
    except KeyError:
        raise UnknownEventError(f"type: no model for {event_type} v{version}") from None


def parse(envelope: Envelope, target: type[Payload]) -> Payload:
    """The envelope's payload as `target`'s version, upcasting older versions step by step."""
    if envelope.type != target.event_type:
        raise UnknownEventError(f"type: expected {target.event_type}, got {envelope.type}")
    data, version = envelope.data, envelope.schema_version
    if version > target.schema_version:
        raise UnknownEventError(f"schema_version: v{version} is newer than v{target.schema_version}")
    while version < target.schema_version:
        data = UPCASTERS[(envelope.type, version)](data)
        version += 1
    return target.model_validate(data)
