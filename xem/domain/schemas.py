"""Checking arguments against a tool's JSON Schema, with one compiled validator per distinct schema (checking the
schema itself and building the validator is most of ``jsonschema.validate``'s cost on a small call)."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from xem.domain.manifest import canonical_json

__all__ = ["validate_arguments"]


@functools.lru_cache(maxsize=1024)
def _validator(schema_json: str) -> Validator:
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)  # raises jsonschema.SchemaError, as jsonschema.validate does
    return cls(schema)


def validate_arguments(value: Any, schema: dict[str, Any]) -> None:
    """``jsonschema.validate(value, schema)``: raises the best-matching ``jsonschema.ValidationError``."""
    error = jsonschema.exceptions.best_match(_validator(canonical_json(schema)).iter_errors(value))
    if error is not None:
        raise error
