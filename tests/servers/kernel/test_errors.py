"""The shared error kernel: one class per code, and the one mapping to ``[code] message``."""

from __future__ import annotations

import pytest

from servers.kernel import errors


def test_every_shared_class_has_a_known_code_and_every_code_but_internal_has_a_class():
    classes = [getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    coded = {c.code for c in classes if issubclass(c, errors.SuiteError) and c not in (errors.SuiteError, errors.StartupError)}
    assert coded == errors.CODES - {"internal"}


def test_a_coded_error_is_shown_with_its_code_and_message():
    assert errors.describe_exception(errors.BudgetExceeded("task 1001.01 is paused"), action="x") == \
        "[budget_exceeded] task 1001.01 is paused"


def test_a_code_given_at_raise_time_must_be_a_known_code():
    assert errors.SuiteError("m", code="forbidden").code == "forbidden"
    with pytest.raises(ValueError, match="unknown error code"):
        errors.SuiteError("m", code="oops")


def test_an_unexpected_exception_shows_a_reference_and_nothing_of_its_text():
    text = errors.describe_exception(RuntimeError("password=hunter2"), action="tool t")
    assert text.startswith("[internal] tool t failed unexpectedly (ref ") and "hunter2" not in text
