"""Compacted tool schemas accept exactly what the originals accept, in fewer bytes."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from servers.app.schemas import compact


class Part(BaseModel):
    title: str
    cost: Annotated[float, Field(ge=0)] | None = None


class Args(BaseModel):
    title: Annotated[str, Field(max_length=5)]
    priority: Literal["low", "high"] | None = None
    count: int | None = None
    flag: bool = False
    tags: list[str] = []
    parts: list[Part] | None = None
    part: Part | None = None


ORIGINAL = Args.model_json_schema()
COMPACT = compact(ORIGINAL, inputs=True)

VALUES = [
    {"title": "ok"}, {"title": "toolong"}, {"title": "ok", "priority": None}, {"title": "ok", "priority": "high"},
    {"title": "ok", "priority": "mid"}, {"title": "ok", "count": None}, {"title": "ok", "count": "3"},
    {"title": "ok", "parts": None}, {"title": "ok", "parts": [{"title": "a", "cost": -1}]},
    {"title": "ok", "parts": [{"title": "a", "cost": None}]}, {"title": "ok", "part": None}, {"title": "ok", "part": {}},
    {"priority": "low"}, {"title": None}, {"title": "ok", "tags": [1]},
]


def _explicit_null_of_an_optional(value: dict) -> bool:
    return any(v is None and k in ("priority", "count", "parts", "part") for k, v in value.items()) or any(
        isinstance(p, dict) and p.get("cost", 0) is None for p in value.get("parts") or [])


@pytest.mark.parametrize("value", VALUES, ids=lambda v: json.dumps(v))
def test_compact_input_schema_accepts_what_the_original_accepts_but_explicit_nulls_of_optional_arguments(value):
    def valid(schema):
        return jsonschema.Draft202012Validator(schema).is_valid(value)

    expected = valid(ORIGINAL) and not _explicit_null_of_an_optional(value)
    assert valid(COMPACT) == expected


def test_compact_output_schema_keeps_nullable_values_as_anyof_branches():
    out = compact(ORIGINAL)
    assert out["properties"]["count"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert all(jsonschema.Draft202012Validator(out).is_valid(v) == jsonschema.Draft202012Validator(ORIGINAL).is_valid(v)
               for v in VALUES)


def test_compact_schema_is_smaller_and_keeps_a_property_named_title():
    assert len(json.dumps(COMPACT)) < 0.75 * len(json.dumps(ORIGINAL))
    assert "title" in COMPACT["properties"] and COMPACT["properties"]["priority"] == {"enum": ["low", "high"], "type": "string"}
