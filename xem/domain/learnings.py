"""What the bridge learns from invocations, as data: the parameter set of a run with its secrets redacted, the key
that groups runs with the same parameters, and the risks that leave a fork point. Pure Python: no I/O."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from xem.domain.manifest import canonical_json

__all__ = ["FORKING_RISKS", "LEARNED", "REDACTED", "params_key", "redact"]

REDACTED = "[redacted]"
FORKING_RISKS = frozenset({"destructive", "irreversible"})
# what a settled state teaches about its parameter set: a success, a failure; other ends teach nothing
LEARNED = {"succeeded": True, "failed": False, "timeout": False}

# an argument whose name says it holds a secret is redacted even when the schema does not mark it: by the words of
# the name (snake, kebab or camel case), so "author" or "sort_key" stay visible and "apiKey" or "db_password" do not
_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "secret", "secrets", "token", "tokens", "credential",
                           "credentials", "cookie", "auth", "authorization", "apikey", "bearer"})
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("session", "id"), ("secret", "key")})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _secret_name(name: str) -> bool:
    words = [w.lower() for w in _WORD.findall(name)]
    return any(w in _SECRET_WORDS for w in words) or any(pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False))


def _secret(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("writeOnly") is True or schema.get("format") == "password")


def redact(value: Any, schema: Any = None, name: str | None = None) -> Any:
    """``value`` with every secret replaced by ``[redacted]``: a value whose schema is ``writeOnly`` or
    ``format: password``, or whose property name says secret (password, token, api_key, …); walks objects and arrays."""
    if _secret(schema) or (name is not None and _secret_name(name)):
        return REDACTED
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(value, dict):
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        extra = schema.get("additionalProperties")
        return {k: redact(v, props.get(k, extra if isinstance(extra, dict) else None), k) for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items")
        return [redact(v, items if isinstance(items, dict) else None) for v in value]
    return value


def params_key(redacted: dict[str, Any]) -> str:
    """What "the same parameters" means for learnings: the canonical JSON of the redacted set (key order and the
    secrets' values do not matter)."""
    return "sha256:" + hashlib.sha256(canonical_json(redacted).encode()).hexdigest()
