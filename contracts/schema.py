"""Frozen JSON Schemas of every event version, and the compatibility rule between two of them.

`python -m contracts.schema` writes the schema of every model not yet frozen and refuses to rewrite
a frozen one in a way an existing consumer could not read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope, Payload
from contracts.registry import all_models

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_path(model: type[Payload]) -> Path:
    return SCHEMA_DIR / f"{model.event_type}.v{model.schema_version}.json"


def schema_of(model: type[Payload] | type[Envelope]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def incompatibilities(old: dict[str, Any], new: dict[str, Any], where: str = "") -> list[str]:
    """What in `new` an existing reader of `old` could not read: a removed or retyped property,
    a newly required one, a narrowed enum. Added optional properties are fine."""
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed")
        elif _strip(old_prop) != _strip(new_props[name]):
            problems.append(f"{where}{name}: changed from {_strip(old_prop)} to {_strip(new_props[name])}")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name}: newly required")
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, old_def in old_defs.items():
        if name not in new_defs:
            problems.append(f"$defs.{name}: removed")
        elif "properties" in old_def:
            problems.extend(incompatibilities(old_def, new_defs[name], f"$defs.{name}."))
        elif _strip(old_def) != _strip(new_defs[name]):
            problems.append(f"$defs.{name}: changed (an enum or type an existing reader knows)")
    return problems


def _strip(prop: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in prop.items() if k not in {"title", "description", "examples"}}


def main(check: bool = False) -> int:
    """Freeze new schemas; with `check`, only report what is not frozen as committed."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    failed = False
    wanted = {schema_path(m): schema_of(m) for m in all_models().values()}
    wanted[SCHEMA_DIR / "Envelope.json"] = schema_of(Envelope)
    for path, new in wanted.items():
        if path.exists() and path.name != "Envelope.json":
            problems = incompatibilities(json.loads(path.read_text()), new)
            if problems:
                failed = True
                print(f"{path.name}: incompatible; publish a new version instead:", *problems, sep="\n  ")
                continue
        if not check:
            path.write_text(render(new))
        elif not path.exists() or path.read_text() != render(new):
            failed = True
            print(f"{path.name}: not frozen as committed; run python -m contracts.schema")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
