"""ODM errors carry codes the suite knows, and the MCP layer shows them as ``[code] message``."""

from __future__ import annotations

import pytest

from odm import errors
from servers.kernel.errors import CODES, describe_exception

CODED = [errors.NotFound, errors.InvalidArgument, errors.InvalidTransition, errors.Conflict,
         errors.DependencyCycle, errors.IdempotencyMismatch]


@pytest.mark.parametrize("cls", CODED, ids=lambda c: c.__name__)
def test_every_odm_error_code_is_a_suite_code_and_renders_as_code_message(cls):
    assert cls.code in CODES
    assert describe_exception(cls("do this next"), action="tool x") == f"[{cls.code}] do this next"
