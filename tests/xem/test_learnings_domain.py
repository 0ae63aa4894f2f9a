"""Redaction of parameter sets and what counts as "the same parameters" (no I/O)."""

from __future__ import annotations

import pytest

from xem.domain.learnings import REDACTED, params_key, redact

SCHEMA = {"type": "object", "properties": {
    "host": {"type": "string"},
    "key": {"type": "string", "writeOnly": True},
    "pin": {"type": "string", "format": "password"},
    "nested": {"type": "object", "properties": {"db_password": {"type": "string"}, "name": {"type": "string"}}},
    "items": {"type": "array", "items": {"type": "string", "writeOnly": True}},
}}


def test_secrets_marked_by_the_schema_or_named_as_secrets_are_redacted_and_the_rest_kept():
    value = {"host": "a", "key": "k", "pin": "1234", "nested": {"db_password": "p", "name": "n"}, "items": ["x", "y"],
             "api_token": "t", "extra": 3}
    assert redact(value, SCHEMA) == {"host": "a", "key": REDACTED, "pin": REDACTED,
                                     "nested": {"db_password": REDACTED, "name": "n"}, "items": [REDACTED, REDACTED],
                                     "api_token": REDACTED, "extra": 3}


@pytest.mark.parametrize("name", ["password", "Passphrase", "client_secret", "AUTH_HEADER", "apiKey", "api-key",
                                  "private_key", "credentials", "cookie", "refresh_token", "session_id"])
def test_an_argument_named_like_a_secret_is_redacted_without_a_schema(name):
    assert redact({name: "v"}) == {name: REDACTED}


@pytest.mark.parametrize("name", ["author", "sort_key", "keyword", "path", "tokenizer_name", "passes"])
def test_an_argument_whose_name_only_looks_like_a_secret_is_kept(name):
    assert redact({name: "v"}) == {name: "v"}


def test_the_same_parameters_share_a_key_whatever_their_order_or_their_secrets():
    one = redact({"host": "a", "key": "k1"}, SCHEMA)
    two = redact({"key": "k2", "host": "a"}, SCHEMA)
    assert params_key(one) == params_key(two)
    assert params_key(one) != params_key(redact({"host": "b", "key": "k1"}, SCHEMA))
