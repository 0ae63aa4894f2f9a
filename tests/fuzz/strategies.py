"""Hypothesis strategies from a tool's JSON input schema: arguments that follow it, and arguments that do not.

``hypothesis-jsonschema`` would be the library for the first half, but its 0.23 release does not run on the
hypothesis this project uses (``AttributeError: 'many' object has no attribute 'more'``); the schemas our
tools publish use a small part of JSON Schema (object, string, integer, number, boolean, array, enum, const,
anyOf, $ref/$defs, the usual bounds), which is what this module covers.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["arguments", "hostile_arguments"]

# values an attacker or a confused model sends: injection, traversal, control and odd unicode, huge text
NASTY_TEXT = (
    "'; DROP TABLE tasks; --", "1 OR 1=1", "$(rm -rf /)", "`id`", "../../../../etc/passwd", "..\\..\\windows",
    "\u0000", "a\u0000b", "%s%s%n{0}{__class__}", "\u202e\u0645\u0631\u062d\u0628\u0627", "🧪" * 50, "\ud800",
    "<script>alert(1)</script>", "null", "-1", "1e309", " ", "\n\r\t", "x" * 100_000, "1001.01", "1001", "001",
)
NASTY = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.recursive(st.integers(), lambda inner: st.lists(inner, min_size=1, max_size=2), max_leaves=200),
)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**root.get("$defs", {}).get(ref.rsplit("/", 1)[1], {}), **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _value(schema: dict[str, Any], root: dict[str, Any], pool: tuple[str, ...], depth: int = 0) -> st.SearchStrategy[Any]:
    schema = _resolve(schema, root)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return st.one_of(*(_value(s, root, pool, depth) for s in schema[union]))
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*(_value({**schema, "type": k}, root, pool, depth) for k in kind))
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**31) - 1) + (1 if "exclusiveMinimum" in schema else 0))
        return st.integers(min_value=low, max_value=schema.get("maximum", 2**31))
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        return st.floats(min_value=low, max_value=schema.get("maximum", 1e12), allow_nan=False, allow_infinity=False,
                         exclude_min="exclusiveMinimum" in schema)
    if kind == "array":
        items = schema.get("items", {})
        return st.lists(_value(items, root, pool, depth + 1) if depth < 3 else st.nothing(),
                        min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 4), 4))
    if kind == "object" or "properties" in schema:
        return _object(schema, root, pool, depth + 1)
    if kind == "string" or kind is None:
        low, high = schema.get("minLength", 0), min(schema.get("maxLength", 40), 40)
        text = st.text(min_size=low, max_size=max(high, low))
        if "pattern" in schema:
            text = st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= schema.get("maxLength", 10**6))
        return st.one_of(text, st.sampled_from(pool)) if pool else text
    return st.none()


def _object(schema: dict[str, Any], root: dict[str, Any], pool: tuple[str, ...], depth: int) -> st.SearchStrategy[Any]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    fields = {name: _value(sub, root, pool, depth) for name, sub in props.items()}
    return st.fixed_dictionaries({k: v for k, v in fields.items() if k in required},
                                 optional={k: v for k, v in fields.items() if k not in required})


def arguments(schema: dict[str, Any], pool: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments that follow ``schema`` (ids drawn from ``pool`` now and then, so calls reach real objects)."""
    return _object(schema, schema, pool, 0)


def hostile_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments that break ``schema``: each named argument may get a value of the wrong type or a nasty text,
    a required one may be missing, and an unknown one may appear."""
    names = list(schema.get("properties", {})) or ["x"]
    return st.dictionaries(st.one_of(st.sampled_from(names), st.sampled_from(["unknown_arg", "__proto__", ""])),
                           NASTY, max_size=len(names) + 1)
