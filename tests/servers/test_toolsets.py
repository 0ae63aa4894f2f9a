"""Tool schemas are compacted without changing what they accept (agents pay for tools/list bytes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from servers.toolsets import compact_schema


class Item(BaseModel):
    title: str  # a property *named* title must survive
    kind: Literal["a", "b"] | None = None
    note: str | None = None
    count: int | None = None


def test_compact_schema_drops_titles_and_folds_nullable_any_of():
    schema = Item.model_json_schema()
    compact_schema(schema)
    assert "title" not in schema and set(schema["properties"]) == {"title", "kind", "note", "count"}
    assert schema["properties"]["title"] == {"type": "string"}
    assert schema["properties"]["kind"] == {"enum": ["a", "b", None], "type": ["string", "null"], "default": None}
    assert schema["properties"]["note"] == {"type": ["string", "null"], "default": None}
    assert schema["properties"]["count"] == {"type": ["integer", "null"], "default": None}


def test_compact_schema_leaves_references_and_unions_of_objects_alone():
    class Outer(BaseModel):
        item: Item | None = None
        either: int | str = 0

    schema = Outer.model_json_schema()
    compact_schema(schema)
    assert schema["properties"]["item"]["anyOf"] == [{"$ref": "#/$defs/Item"}, {"type": "null"}]
    assert schema["properties"]["either"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "title" not in schema["$defs"]["Item"]
